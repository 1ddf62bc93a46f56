using System.Text.RegularExpressions;
using Queues.Testing;

namespace Queues.PackageTests;

/// <summary>
/// Packs Queues and Queues.Testing into a folder feed under a temporary directory, with a version of their own, and
/// writes a fresh project outside the repository that references only the Queues package and compiles
/// <c>Example/Program.cs</c>. Restores use a private package folder in the same directory (the user's package folder
/// is only read, as a fallback, so nothing is added to it), and the machine's NuGet sources still serve Npgsql and
/// the rest. Also provides the PostgreSQL server: <c>QUEUES_TEST_DB</c>, or a throwaway one.
/// </summary>
public sealed partial class PackagedExample : IAsyncLifetime
{
    public const string ExampleName = "QueuesExample";

    private static readonly TimeSpan s_packTimeout = TimeSpan.FromMinutes(10);
    private TemporaryPostgres? _server;

    /// <summary>The unique version both packages are packed with, so no cached or upstream package can stand in.</summary>
    public string Version { get; } = $"0.1.0-packagetest.{DateTime.UtcNow:yyyyMMddHHmmss}.{Random.Shared.Next(100000)}";

    public string Root { get; } = Directory.CreateTempSubdirectory("queues-package-").FullName;

    public string Feed => Path.Combine(Root, "feed");

    public string ConnectionString { get; private set; } = "";

    /// <summary>The pack commands' results, for the assertions (and their messages) in the tests.</summary>
    public IReadOnlyList<ProcessResult> Packs { get; private set; } = [];

    /// <summary>The environment of every dotnet command on the example: the private package folder, no node reuse.</summary>
    public IReadOnlyDictionary<string, string> Environment => new Dictionary<string, string>
    {
        ["NUGET_PACKAGES"] = Path.Combine(Root, "packages"),
        ["MSBUILDDISABLENODEREUSE"] = "1",
        ["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1",
        ["DOTNET_NOLOGO"] = "1",
        // The repository's settings must not leak into the example through the test process's environment.
        ["QUEUES_CONNECTION_STRING"] = ConnectionString,
    };

    public async ValueTask InitializeAsync()
    {
        var cancellationToken = TestContext.Current.CancellationToken;
        var repository = RepositoryRoot();
        var packs = new List<ProcessResult>();
        foreach (var project in new[] { "src/Runtime/Queues.csproj", "src/Testing/Queues.Testing.csproj" })
        {
            // A separate artifacts path keeps this Release build out of the tree the test run was built in.
            packs.Add(await ProcessRunner.RunAsync("dotnet",
                ["pack", Path.Combine(repository, project), "-c", "Release", "-o", Feed, "--artifacts-path", Path.Combine(Root, "artifacts"),
                 $"-p:Version={Version}", "-nodeReuse:false"],
                repository, new Dictionary<string, string> { ["MSBUILDDISABLENODEREUSE"] = "1" }, s_packTimeout, cancellationToken));
        }

        Packs = packs;
        var configured = System.Environment.GetEnvironmentVariable("QUEUES_TEST_DB");
        if (string.IsNullOrWhiteSpace(configured))
        {
            _server = await TemporaryPostgres.StartAsync(cancellationToken: cancellationToken);
            configured = _server.ConnectionString;
        }

        ConnectionString = configured;
    }

    /// <summary>
    /// Writes the example project into its own directory under <see cref="Root"/> and returns that directory. Each
    /// caller gets a directory of its own, so a JIT build and an AOT publish never share obj/. The target framework is
    /// written into the project, not passed as -p:TargetFramework, which the implicit restore of publish ignores.
    /// </summary>
    public string CreateExampleProject(string name, string targetFramework)
    {
        var repository = RepositoryRoot();
        var directory = Directory.CreateDirectory(Path.Combine(Root, name)).FullName;

        // Stop MSBuild's upward search for Directory.Build.* and Directory.Packages.props at the temporary root.
        File.WriteAllText(Path.Combine(Root, "Directory.Build.props"), "<Project />");
        File.WriteAllText(Path.Combine(Root, "Directory.Build.targets"), "<Project />");
        File.WriteAllText(Path.Combine(Root, "Directory.Packages.props"), "<Project />");
        File.WriteAllText(Path.Combine(Root, "nuget.config"), $"""
            <?xml version="1.0" encoding="utf-8"?>
            <configuration>
              <!-- Added to the machine's sources, which still serve every other package. -->
              <packageSources>
                <add key="queues-under-test" value="{Feed}" />
              </packageSources>
              <!-- Read-only: packages already on this machine are used from there, never added to it. -->
              <fallbackPackageFolders>
                <add key="machine" value="{UserPackageFolder()}" />
              </fallbackPackageFolders>
            </configuration>
            """);

        File.Copy(Path.Combine(repository, "tests", "Queues.PackageTests", "Example", "Program.cs"), Path.Combine(directory, "Program.cs"));
        File.WriteAllText(Path.Combine(directory, ExampleName + ".csproj"), $"""
            <Project Sdk="Microsoft.NET.Sdk">
              <PropertyGroup>
                <OutputType>Exe</OutputType>
                <TargetFramework>{targetFramework}</TargetFramework>
                <ImplicitUsings>enable</ImplicitUsings>
                <Nullable>enable</Nullable>
                <InvariantGlobalization>true</InvariantGlobalization>
              </PropertyGroup>
              <ItemGroup>
                <PackageReference Include="Queues" Version="{Version}" />
                <PackageReference Include="Microsoft.Extensions.Hosting" Version="{CentralVersion(repository, "Microsoft.Extensions.Hosting")}" />
              </ItemGroup>
            </Project>
            """);
        return directory;
    }

    public async ValueTask DisposeAsync()
    {
        if (_server is not null)
        {
            await _server.DisposeAsync();
        }

        try
        {
            Directory.Delete(Root, recursive: true);
        }
        catch (IOException)
        {
            // A process killed on timeout may still hold a file; the directory is under the system's temp folder.
        }
    }

    internal static string RepositoryRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "Queues.sln")))
            {
                return directory.FullName;
            }
        }

        throw new InvalidOperationException($"Queues.sln not found above {AppContext.BaseDirectory}.");
    }

    private static string UserPackageFolder()
        => System.Environment.GetEnvironmentVariable("NUGET_PACKAGES") is { Length: > 0 } configured
            ? configured
            : Path.Combine(System.Environment.GetFolderPath(System.Environment.SpecialFolder.UserProfile), ".nuget", "packages");

    /// <summary>The version Directory.Packages.props pins, so the example uses what the repository builds with.</summary>
    private static string CentralVersion(string repository, string package)
    {
        var props = File.ReadAllText(Path.Combine(repository, "Directory.Packages.props"));
        var match = PackageVersion().Matches(props).FirstOrDefault(m => m.Groups["id"].Value == package)
            ?? throw new InvalidOperationException($"Directory.Packages.props pins no version of {package}.");
        return match.Groups["version"].Value;
    }

    [GeneratedRegex("""<PackageVersion Include="(?<id>[^"]+)" Version="(?<version>[^"]+)" />""")]
    private static partial Regex PackageVersion();
}
