using Queues.Testing;

namespace Queues.Runtime.Tests;

public sealed class TemporaryPostgresSettingsTests
{
    [Fact]
    public void Values_AreQuotedLiterally()
    {
        var lines = TemporaryPostgres.ConfigurationLines([new("log_line_prefix", "%m [%p] it's \\ $(x)")]);
        Assert.Contains("log_line_prefix = '%m [%p] it''s \\\\ $(x)'\n", lines, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("work mem")]
    [InlineData("fsync\nport")]
    [InlineData("")]
    [InlineData("1abc")]
    public void InvalidNames_AreRefused(string name)
        => Assert.Throws<ArgumentException>(() => TemporaryPostgres.ConfigurationLines([new(name, "x")]));

    [Fact]
    public void MultiLineValues_AreRefused()
        => Assert.Throws<ArgumentException>(() => TemporaryPostgres.ConfigurationLines([new("application_name", "a\nport = 1")]));
}
