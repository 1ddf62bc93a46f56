using System.Net;
using System.Security.Claims;
using System.Text.Encodings.Web;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Queues.Dashboard.Tests.Infrastructure;

/// <summary>An ASP.NET Core app with the dashboard mapped at /queues on a test schema: in memory, or on a real port for the browser.</summary>
public sealed partial class DashboardHost : IAsyncDisposable
{
    private readonly WebApplication _app;

    private DashboardHost(WebApplication app, DemoJobs jobs, CapturedLogs logs)
    {
        _app = app;
        Jobs = jobs;
        Logs = logs;
    }

    /// <summary>What the app logged at Information or above.</summary>
    public CapturedLogs Logs { get; }

    public DemoJobs Jobs { get; }

    public IServiceProvider Services => _app.Services;

    /// <summary>The root address (real port only).</summary>
    public string Address => _app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();

    public static async Task<DashboardHost> StartAsync(
        TestSchema schema,
        Action<QueuesDashboardOptions>? dashboard = null,
        bool processJobs = false,
        bool realPort = false,
        bool withAuthentication = false,
        string environment = "Development",
        string? connectionString = null)
    {
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { EnvironmentName = environment });
        builder.Logging.ClearProviders();
        var logs = new CapturedLogs();
        builder.Logging.AddProvider(logs);
        if (realPort)
        {
            builder.WebHost.UseUrls("http://127.0.0.1:0");
        }
        else
        {
            builder.WebHost.UseTestServer();
        }

        var jobs = new DemoJobs();
        builder.Services.AddAntiforgery();
        jobs.Register(builder.Services.AddQueues(o =>
        {
            o.ConnectionString = connectionString ?? schema.Fixture.ConnectionString;
            o.Schema = schema.Name;
            o.ProcessJobs = processJobs;
            o.PollInterval = TimeSpan.FromMilliseconds(50);
            o.WorkerName = "test-node-1";
            o.ShutdownTimeout = TimeSpan.Zero;
        }));
        if (withAuthentication)
        {
            builder.Services.AddAuthentication(TestAuthentication.SchemeName)
                .AddScheme<AuthenticationSchemeOptions, TestAuthentication>(TestAuthentication.SchemeName, null);
            builder.Services.AddAuthorization(o =>
            {
                o.AddPolicy("Ops", p => p.RequireRole("ops"));
                o.AddPolicy("Viewers", p => p.RequireAuthenticatedUser());
            });
        }

        var app = builder.Build();
        app.MapQueuesDashboard("/queues", dashboard);
        await app.StartAsync(TestContext.Current.CancellationToken);
        return new DashboardHost(app, jobs, logs);
    }

    /// <summary>A client that keeps cookies and knows the antiforgery token of the page it loaded.</summary>
    public async Task<DashboardClient> CreateClientAsync(string? user = null, bool loadPage = true)
    {
        var client = _app.GetTestServer().CreateClient();
        if (user is not null)
        {
            client.DefaultRequestHeaders.Add(TestAuthentication.Header, user);
        }

        var dashboard = new DashboardClient(client);
        if (loadPage)
        {
            await dashboard.LoadPageAsync();
        }

        return dashboard;
    }

    public async ValueTask DisposeAsync()
    {
        Jobs.Release();
        await _app.StopAsync(CancellationToken.None);
        await _app.DisposeAsync();
    }
}

public sealed partial class DashboardClient(HttpClient http)
{
    private string? _cookie;

    public HttpClient Http { get; } = http;

    public string? Token { get; private set; }

    public string? HeaderName { get; private set; }

    public string Page { get; private set; } = "";

    public async Task<HttpResponseMessage> LoadPageAsync()
    {
        var response = await Http.GetAsync("/queues/", TestContext.Current.CancellationToken);
        Page = await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
        if (response.Headers.TryGetValues("Set-Cookie", out var cookies))
        {
            _cookie = string.Join("; ", cookies.Select(static c => c.Split(';')[0]));
        }

        var meta = AntiforgeryMeta().Match(Page);
        if (meta.Success)
        {
            Token = WebUtility.HtmlDecode(meta.Groups[1].Value);
            HeaderName = WebUtility.HtmlDecode(meta.Groups[2].Value);
        }

        return response;
    }

    public Task<HttpResponseMessage> GetAsync(string path) => Http.GetAsync(path, TestContext.Current.CancellationToken);

    /// <summary>Posts JSON with the cookie and, unless <paramref name="withToken"/> is false, the antiforgery header.</summary>
    public Task<HttpResponseMessage> PostAsync(string path, string json = "{}", bool withToken = true)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = new StringContent(json, System.Text.Encoding.UTF8, "application/json") };
        if (_cookie is not null)
        {
            request.Headers.Add("Cookie", _cookie);
        }

        if (withToken && Token is not null)
        {
            request.Headers.Add(HeaderName!, Token);
        }

        return Http.SendAsync(request, TestContext.Current.CancellationToken);
    }

    [GeneratedRegex("""<meta name="queues-antiforgery" content="([^"]*)" data-header="([^"]*)">""")]
    private static partial Regex AntiforgeryMeta();
}

/// <summary>Authenticates a request that names its user in a header; "ops" users get the ops role.</summary>
public sealed class TestAuthentication(IOptionsMonitor<AuthenticationSchemeOptions> options, ILoggerFactory logger, UrlEncoder encoder)
    : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    public const string SchemeName = "Test";
    public const string Header = "X-Test-User";

    protected override Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        if (!Request.Headers.TryGetValue(Header, out var user) || string.IsNullOrEmpty(user))
        {
            return Task.FromResult(AuthenticateResult.NoResult());
        }

        var claims = new List<Claim> { new(ClaimTypes.Name, user!) };
        if (user == "ops")
        {
            claims.Add(new Claim(ClaimTypes.Role, "ops"));
        }

        return Task.FromResult(AuthenticateResult.Success(new AuthenticationTicket(new ClaimsPrincipal(new ClaimsIdentity(claims, SchemeName)), SchemeName)));
    }
}

/// <summary>Keeps every entry logged at Information or above: category, event id and the formatted message.</summary>
public sealed class CapturedLogs : ILoggerProvider, ILogger
{
    private readonly List<(string Category, int EventId, string Message)> _entries = [];

    public IReadOnlyList<(string Category, int EventId, string Message)> Entries
    {
        get
        {
            lock (_entries)
            {
                return [.. _entries];
            }
        }
    }

    public ILogger CreateLogger(string categoryName) => new Category(this, categoryName);

    public IDisposable? BeginScope<TState>(TState state)
        where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Information;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        => Add("", logLevel, eventId, formatter(state, exception));

    public void Dispose()
    {
    }

    private void Add(string category, LogLevel level, EventId eventId, string message)
    {
        if (level >= LogLevel.Information)
        {
            lock (_entries)
            {
                _entries.Add((category, eventId.Id, message));
            }
        }
    }

    private sealed class Category(CapturedLogs logs, string name) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Information;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
            => logs.Add(name, logLevel, eventId, formatter(state, exception));
    }
}
