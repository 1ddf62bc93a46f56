using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Npgsql;

namespace Queues.Testing;

/// <summary>
/// A private, throwaway PostgreSQL server: <c>initdb</c> into a temporary directory, <c>pg_ctl start</c> on a free
/// loopback port, and on dispose <c>pg_ctl stop</c> and the directory deleted. Uses the machine's PostgreSQL binaries
/// (see <see cref="FindBinDirectory"/>); when running as root the server runs as the <c>postgres</c> user through
/// <c>runuser</c>, since PostgreSQL refuses to run as root.
/// </summary>
public sealed class TemporaryPostgres : IAsyncDisposable
{
    /// <summary>The environment variable that names the directory holding <c>initdb</c> and <c>pg_ctl</c>.</summary>
    public const string BinDirectoryVariable = "QUEUES_PG_BIN";

    private const string SuperUser = "postgres";
    private readonly string _binDirectory;
    private readonly string? _runAs;
    private int _disposed;

    private TemporaryPostgres(string binDirectory, string? runAs, string rootDirectory, int port)
    {
        _binDirectory = binDirectory;
        _runAs = runAs;
        RootDirectory = rootDirectory;
        Port = port;
        ConnectionString = new NpgsqlConnectionStringBuilder
        {
            Host = "127.0.0.1",
            Port = port,
            Username = SuperUser,
            Database = "postgres",
        }.ConnectionString;
    }

    /// <summary>A connection string for the superuser and the <c>postgres</c> database.</summary>
    public string ConnectionString { get; }

    /// <summary>The loopback TCP port the server listens on.</summary>
    public int Port { get; }

    /// <summary>The temporary directory holding the data directory and the server log.</summary>
    public string RootDirectory { get; }

    private string DataDirectory => Path.Combine(RootDirectory, "data");

    private string LogFile => Path.Combine(RootDirectory, "server.log");

    /// <summary>Initializes and starts a new server.</summary>
    /// <param name="options">Settings, or null for the defaults.</param>
    /// <param name="cancellationToken">Cancels the start; what was created is removed.</param>
    /// <exception cref="PostgresNotFoundException">No PostgreSQL binaries were found; the message says how to install them.</exception>
    /// <exception cref="InvalidOperationException">initdb or pg_ctl failed; the message carries their output.</exception>
    public static async Task<TemporaryPostgres> StartAsync(TemporaryPostgresOptions? options = null, CancellationToken cancellationToken = default)
    {
        options ??= new TemporaryPostgresOptions();
        var binDirectory = options.BinDirectory ?? FindBinDirectory() ?? throw new PostgresNotFoundException();
        var runAs = IsRoot() ? SuperUser : null;

        var root = Path.Combine(Path.GetTempPath(), "queues-pg-" + Guid.NewGuid().ToString("N")[..12]);
        Directory.CreateDirectory(root);
        var server = new TemporaryPostgres(binDirectory, runAs, root, FreePort());
        try
        {
            if (runAs is not null)
            {
                await RunAsync("chown", ["-R", $"{runAs}:", root], cancellationToken).ConfigureAwait(false);
            }

            await server.RunToolAsync("initdb",
                ["-D", server.DataDirectory, "-U", SuperUser, "--auth=trust", "--encoding=UTF8", "--locale=C", "--no-sync", "--no-instructions"],
                cancellationToken).ConfigureAwait(false);

            // Every setting goes into the server's own configuration file, never through pg_ctl -o: pg_ctl hands that
            // string to /bin/sh, where a value with spaces breaks the start and one with $(...) runs a command.
            var settings = new List<KeyValuePair<string, string>>
            {
                new("port", server.Port.ToString(CultureInfo.InvariantCulture)),
                new("listen_addresses", "127.0.0.1"),
                new("unix_socket_directories", server.RootDirectory),
                new("max_connections", options.MaxConnections.ToString(CultureInfo.InvariantCulture)),
            };
            if (!options.Durable)
            {
                settings.AddRange([new("fsync", "off"), new("synchronous_commit", "off"), new("full_page_writes", "off")]);
            }

            settings.AddRange(options.Settings);
            await File.AppendAllTextAsync(Path.Combine(server.DataDirectory, "postgresql.conf"), ConfigurationLines(settings), cancellationToken)
                .ConfigureAwait(false);
            await server.RunToolAsync("pg_ctl", ["-D", server.DataDirectory, "-l", server.LogFile, "-w", "-t", "60", "start"], cancellationToken)
                .ConfigureAwait(false);
            return server;
        }
        catch
        {
            await server.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>
    /// postgresql.conf lines for <paramref name="settings"/>: every value single-quoted (quotes doubled, backslashes
    /// escaped), so any text is taken literally; a name that is not a configuration parameter name is refused.
    /// </summary>
    internal static string ConfigurationLines(IEnumerable<KeyValuePair<string, string>> settings)
    {
        var text = new StringBuilder("\n# Set by Queues.Testing.TemporaryPostgres\n");
        foreach (var (name, value) in settings)
        {
            if (string.IsNullOrEmpty(name) || !(char.IsAsciiLetter(name[0]) || name[0] == '_')
                || !name.All(static c => char.IsAsciiLetterOrDigit(c) || c is '_' or '.'))
            {
                throw new ArgumentException($"'{name}' is not a PostgreSQL setting name: use letters, digits, underscores and dots.", nameof(settings));
            }

            ArgumentNullException.ThrowIfNull(value);
            if (value.Contains('\n', StringComparison.Ordinal) || value.Contains('\r', StringComparison.Ordinal) || value.Contains('\0', StringComparison.Ordinal))
            {
                throw new ArgumentException($"The value of setting '{name}' must be one line without NUL characters.", nameof(settings));
            }

            text.Append(name).Append(" = '").Append(value.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("'", "''", StringComparison.Ordinal)).Append("'\n");
        }

        return text.ToString();
    }

    /// <summary>Creates a database owned by the superuser and returns a connection string for it.</summary>
    /// <param name="name">The database name: lowercase letters, digits and underscores.</param>
    /// <param name="cancellationToken">Cancels the command.</param>
    public async Task<string> CreateDatabaseAsync(string name, CancellationToken cancellationToken = default)
    {
        if (string.IsNullOrEmpty(name) || !name.All(static c => c is (>= 'a' and <= 'z') or (>= '0' and <= '9') or '_'))
        {
            throw new ArgumentException($"Database name '{name}' must be lowercase letters, digits and underscores.", nameof(name));
        }

        var connection = new NpgsqlConnection(ConnectionString);
        await using (connection.ConfigureAwait(false))
        {
            await connection.OpenAsync(cancellationToken).ConfigureAwait(false);
            using var command = new NpgsqlCommand($"CREATE DATABASE \"{name}\"", connection);
            await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }

        return new NpgsqlConnectionStringBuilder(ConnectionString) { Database = name }.ConnectionString;
    }

    /// <summary>
    /// The directory holding <c>initdb</c> and <c>pg_ctl</c>: <see cref="BinDirectoryVariable"/> if set, else the directory
    /// of <c>initdb</c> on PATH (symlinks resolved), else the newest <c>/usr/lib/postgresql/N/bin</c> (Debian, Ubuntu),
    /// else <c>/usr/pgsql-N/bin</c> (RHEL) or <c>/usr/local/pgsql/bin</c>. Null when none exists.
    /// </summary>
    public static string? FindBinDirectory()
    {
        var configured = Environment.GetEnvironmentVariable(BinDirectoryVariable);
        if (!string.IsNullOrWhiteSpace(configured))
        {
            return HasTools(configured) ? configured : throw new PostgresNotFoundException(
                $"{BinDirectoryVariable} is set to '{configured}', but that directory does not hold initdb and pg_ctl.");
        }

        foreach (var directory in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries))
        {
            var initdb = Path.Combine(directory, "initdb");
            if (File.Exists(initdb))
            {
                var resolved = new FileInfo(initdb).ResolveLinkTarget(returnFinalTarget: true)?.FullName ?? initdb;
                var candidate = Path.GetDirectoryName(resolved)!;
                if (HasTools(candidate))
                {
                    return candidate;
                }
            }
        }

        foreach (var parent in new[] { "/usr/lib/postgresql", "/usr/local/opt" })
        {
            if (!Directory.Exists(parent))
            {
                continue;
            }

            var newest = Directory.GetDirectories(parent)
                .Select(static d => (Directory: Path.Combine(d, "bin"), Version: int.TryParse(Path.GetFileName(d), NumberStyles.None, CultureInfo.InvariantCulture, out var v) ? v : -1))
                .Where(static c => HasTools(c.Directory))
                .OrderByDescending(static c => c.Version)
                .FirstOrDefault();
            if (newest.Directory is not null)
            {
                return newest.Directory;
            }
        }

        var rhel = Directory.Exists("/usr") ? Directory.GetDirectories("/usr", "pgsql-*").Select(static d => Path.Combine(d, "bin")).Where(HasTools).Order().LastOrDefault() : null;
        return rhel ?? (HasTools("/usr/local/pgsql/bin") ? "/usr/local/pgsql/bin" : null);
    }

    /// <summary>Stops the server (immediate mode: the data is thrown away) and deletes its directory.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        try
        {
            if (File.Exists(Path.Combine(DataDirectory, "postmaster.pid")))
            {
                await RunToolAsync("pg_ctl", ["-D", DataDirectory, "-m", "immediate", "-w", "stop"], CancellationToken.None).ConfigureAwait(false);
            }
        }
        finally
        {
            try
            {
                Directory.Delete(RootDirectory, recursive: true);
            }
            catch (IOException)
            {
                // Best effort: a temporary directory left behind is harmless.
            }
            catch (UnauthorizedAccessException)
            {
            }
        }
    }

    private static bool HasTools(string directory)
        => File.Exists(Path.Combine(directory, "initdb")) && File.Exists(Path.Combine(directory, "pg_ctl"));

    private static bool IsRoot() => OperatingSystem.IsLinux() && Environment.UserName == "root";

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private Task RunToolAsync(string tool, string[] arguments, CancellationToken cancellationToken)
    {
        var path = Path.Combine(_binDirectory, tool);
        return _runAs is null
            ? RunAsync(path, arguments, cancellationToken)
            : RunAsync("runuser", ["-u", _runAs, "--", path, .. arguments], cancellationToken);
    }

    private static async Task RunAsync(string fileName, string[] arguments, CancellationToken cancellationToken)
    {
        var start = new ProcessStartInfo(fileName)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = Path.GetTempPath(),
        };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start) ?? throw new InvalidOperationException($"Could not start '{fileName}'.");
        var output = process.StandardOutput.ReadToEndAsync(cancellationToken);
        var error = process.StandardError.ReadToEndAsync(cancellationToken);
        await process.WaitForExitAsync(cancellationToken).ConfigureAwait(false);
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException(
                $"'{fileName} {string.Join(' ', arguments)}' exited with code {process.ExitCode}:\n{await output.ConfigureAwait(false)}{await error.ConfigureAwait(false)}");
        }
    }
}

/// <summary>Settings of a <see cref="TemporaryPostgres"/>.</summary>
public sealed class TemporaryPostgresOptions
{
    /// <summary>The directory holding initdb and pg_ctl; null to search (see <see cref="TemporaryPostgres.FindBinDirectory"/>).</summary>
    public string? BinDirectory { get; init; }

    /// <summary>
    /// Keep fsync, synchronous commit and full-page writes on, as a production server has them. Off by default: a
    /// throwaway server does not need to survive a power cut, and tests run faster without.
    /// </summary>
    public bool Durable { get; init; }

    /// <summary>The server's max_connections. Defaults to 200, enough for tests that run in parallel.</summary>
    public int MaxConnections { get; init; } = 200;

    /// <summary>Further server settings, passed as <c>-c name=value</c>.</summary>
    public IReadOnlyDictionary<string, string> Settings { get; init; } = new Dictionary<string, string>();
}

/// <summary>The PostgreSQL server binaries could not be found. The message says how to install them.</summary>
public sealed class PostgresNotFoundException : Exception
{
    /// <summary>The default message: what is missing and how to install it.</summary>
    public const string InstallHelp =
        "PostgreSQL server binaries (initdb and pg_ctl) were not found on PATH, in /usr/lib/postgresql/*/bin, /usr/pgsql-*/bin or /usr/local/pgsql/bin. " +
        "Install them (Debian/Ubuntu: 'sudo apt-get install postgresql'; Fedora/RHEL: 'sudo dnf install postgresql-server'; macOS: 'brew install postgresql'), " +
        "or set " + TemporaryPostgres.BinDirectoryVariable + " to the directory that holds them, " +
        "or point at an existing server with QUEUES_CONNECTION_STRING (samples) or QUEUES_TEST_DB (tests).";

    /// <summary>Creates the exception with <see cref="InstallHelp"/>.</summary>
    public PostgresNotFoundException() : base(InstallHelp) { }

    /// <summary>Creates the exception with a specific message.</summary>
    /// <param name="message">What is wrong.</param>
    public PostgresNotFoundException(string message) : base(message) { }
}
