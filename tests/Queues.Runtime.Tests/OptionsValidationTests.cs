using Queues.Internal;

namespace Queues.Runtime.Tests;

public sealed class OptionsValidationTests
{
    [Fact]
    public void ValidOptions_Pass()
        => Assert.True(new QueuesOptionsValidator().Validate(null, new QueuesOptions()).Succeeded);

    [Fact]
    public void InvalidOptions_FailWithAMessageNamingTheOption()
    {
        var options = new QueuesOptions { HeartbeatInterval = TimeSpan.FromSeconds(10), RescueAfter = TimeSpan.FromSeconds(15) };
        var result = new QueuesOptionsValidator().Validate(null, options);
        Assert.True(result.Failed);
        Assert.Contains("QueuesOptions.RescueAfter", result.FailureMessage, StringComparison.Ordinal);
    }
}
