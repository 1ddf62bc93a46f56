namespace Queues.ReliabilityTests.Infrastructure;

/// <summary>Waits for a condition, polling; a timeout fails the test with the workers' logs.</summary>
public static class Wait
{
    public static async Task UntilAsync(Func<Task<bool>> condition, string what, WorkerGroup? workers = null, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(90));
        while (!await condition())
        {
            Assert.True(DateTime.UtcNow < deadline, $"Timed out waiting for {what}.\n{workers?.Logs()}");
            await Task.Delay(50, TestContext.Current.CancellationToken);
        }
    }
}
