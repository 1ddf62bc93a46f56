using Queues.Internal;

namespace Queues.Runtime.Tests;

public sealed class CronScheduleTests
{
    private static readonly DateTime Start = new(2026, 11, 29, 10, 7, 30, DateTimeKind.Utc);

    [Theory]
    [InlineData("* * * * *", "2026-11-29T10:08:00")]
    [InlineData("*/15 * * * *", "2026-11-29T10:15:00")]
    [InlineData("0 9 * * 1-5", "2026-11-30T09:00:00")]
    [InlineData("30 2 1 * *", "2026-12-01T02:30:00")]
    [InlineData("0 0 29 2 *", "2028-02-29T00:00:00")]
    public void Next_IsTheFirstMatchingMinuteAfterTheGivenTime(string expression, string expected)
        => Assert.Equal(DateTime.Parse(expected, System.Globalization.CultureInfo.InvariantCulture, System.Globalization.DateTimeStyles.AdjustToUniversal | System.Globalization.DateTimeStyles.AssumeUniversal),
            CronSchedule.Parse(expression).Next(Start));

    [Theory]
    [InlineData("* * * *", "five")]
    [InlineData("61 * * * *", "minute")]
    [InlineData("* * * * 7", "day of week")]
    public void InvalidExpression_SaysWhichFieldAndWhy(string expression, string expected)
        => Assert.Contains(expected, Assert.Throws<FormatException>(() => CronSchedule.Parse(expression)).Message, StringComparison.Ordinal);
}
