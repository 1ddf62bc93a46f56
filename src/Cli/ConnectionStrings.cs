using System.Text.Json;
using Npgsql;

namespace Queues.Cli;

/// <summary>Where the connection string comes from: the option, the environment, then ./appsettings.json.</summary>
internal static class ConnectionStrings
{
    public const string EnvironmentVariable = "QUEUES_CONNECTION_STRING";

    public static string Resolve(string? option)
    {
        var value = option;
        if (string.IsNullOrWhiteSpace(value))
        {
            value = Environment.GetEnvironmentVariable(EnvironmentVariable);
        }

        if (string.IsNullOrWhiteSpace(value))
        {
            value = FromAppSettings(Path.Combine(Directory.GetCurrentDirectory(), "appsettings.json"));
        }

        if (string.IsNullOrWhiteSpace(value))
        {
            throw new UsageException(
                $"No connection string: pass --connection, set {EnvironmentVariable}, or put ConnectionStrings:Queues (or Queues:ConnectionString) in ./appsettings.json.");
        }

        NpgsqlConnectionStringBuilder builder;
        try
        {
            builder = new NpgsqlConnectionStringBuilder(value);
        }
        catch (ArgumentException exception)
        {
            throw new UsageException("The connection string is not valid: " + exception.Message);
        }

        // An operator waiting on an unreachable server should hear about it in seconds, not after Npgsql's 15 s default.
        if (!value.Contains("timeout", StringComparison.OrdinalIgnoreCase))
        {
            builder.Timeout = 5;
        }

        return builder.ConnectionString;
    }

    private static string? FromAppSettings(string path)
    {
        if (!File.Exists(path))
        {
            return null;
        }

        try
        {
            using var document = JsonDocument.Parse(File.ReadAllText(path), new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true });
            var root = document.RootElement;
            if (root.TryGetProperty("ConnectionStrings", out var strings) && strings.ValueKind == JsonValueKind.Object
                && strings.TryGetProperty("Queues", out var queues) && queues.ValueKind == JsonValueKind.String)
            {
                return queues.GetString();
            }

            if (root.TryGetProperty("Queues", out var section) && section.ValueKind == JsonValueKind.Object
                && section.TryGetProperty("ConnectionString", out var connection) && connection.ValueKind == JsonValueKind.String)
            {
                return connection.GetString();
            }

            return null;
        }
        catch (JsonException exception)
        {
            throw new UsageException($"{path} is not valid JSON: {exception.Message}");
        }
    }
}
