using Queues.Testing;
using Queues.Testing.Tests;

[assembly: AssemblyFixture(typeof(Server))]

namespace Queues.Testing.Tests;

/// <summary>One PostgreSQL server per test run (<c>QUEUES_TEST_DB</c>, else a throwaway one); each test makes its own schema.</summary>
public sealed class Server : IAsyncLifetime
{
    private TemporaryPostgres? _server;

    public string ConnectionString { get; private set; } = "";

    public async ValueTask InitializeAsync()
    {
        var configured = Environment.GetEnvironmentVariable("QUEUES_TEST_DB");
        if (string.IsNullOrWhiteSpace(configured))
        {
            _server = await TemporaryPostgres.StartAsync();
            configured = _server.ConnectionString;
        }

        ConnectionString = configured;
    }

    public async ValueTask DisposeAsync()
    {
        if (_server is not null)
        {
            await _server.DisposeAsync();
        }
    }
}
