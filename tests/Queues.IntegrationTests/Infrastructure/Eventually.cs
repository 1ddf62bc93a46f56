namespace Queues.IntegrationTests.Infrastructure;

/// <summary>Waits for a condition with a generous timeout. A wait, never an assertion about speed.</summary>
public static class Eventually
{
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(60);

    public static async Task TrueAsync(Func<Task<bool>> condition, TimeSpan? timeout = null, Func<string>? what = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? DefaultTimeout);
        while (!await condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                Assert.Fail($"Timed out waiting for {what?.Invoke() ?? "a condition"}.");
            }

            await Task.Delay(20, TestContext.Current.CancellationToken);
        }
    }
}
