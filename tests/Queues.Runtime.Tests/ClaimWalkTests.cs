using Queues.Internal;

namespace Queues.Runtime.Tests;

/// <summary>
/// The claim walk's bookkeeping (<see cref="ClaimWalk"/>): the ranges it sends, how claims move the floors and the margin,
/// and when it walks from the head. Stopwatch timestamps are only compared, so the tests use small numbers.
/// </summary>
public sealed class ClaimWalkTests
{
    private static readonly DateTime T0 = new(2026, 12, 1, 12, 0, 0, DateTimeKind.Utc);

    private static ClaimedJob Job(long id, short priority, DateTime runAt)
        => new(id, "j", "q", [], 1, 20, T0, new DateTimeOffset(runAt), T0, null, priority);

    [Fact]
    public void TheFirstClaim_WalksFromTheHead_OverEveryPriority()
    {
        var walk = new ClaimWalk();
        var (priorities, runAts, ends) = walk.Next(0);
        Assert.True(walk.FromHead);
        Assert.Equal([short.MinValue], priorities);
        Assert.Equal(DateTime.MinValue, runAts[0]);
        Assert.Equal([short.MaxValue + 1], ends);
    }

    [Fact]
    public void AfterAClaim_EachPriorityIsWalkedFromItsFloor_InPriorityOrder_AndTheRestFromTheirHeads()
    {
        var walk = new ClaimWalk();
        walk.Next(0);
        walk.Claimed([Job(1, -1, T0), Job(2, 3, T0.AddSeconds(1)), Job(3, 3, T0.AddSeconds(2))], 0, 1);

        var (priorities, runAts, ends) = walk.Next(2);
        Assert.False(walk.FromHead);
        Assert.Equal([short.MinValue, (short)-1, (short)3], priorities);
        Assert.Equal([DateTime.MinValue, T0 - ClaimWalk.Margin, T0.AddSeconds(2) - ClaimWalk.Margin], runAts);
        Assert.Equal([-1, 3, short.MaxValue + 1], ends);
    }

    [Fact]
    public void AClaimFromTheFloors_NeverMovesAFloorDown()
    {
        var walk = new ClaimWalk();
        walk.Next(0);
        walk.Claimed([Job(1, 0, T0.AddSeconds(10))], 0, 1);
        walk.Next(2);
        walk.Claimed([Job(2, 0, T0)], 2, 3); // Taken from the floor's range, by a clock skew: the floor stays.
        Assert.Equal(T0.AddSeconds(10) - ClaimWalk.Margin, walk.Next(4).RunAts[1]);
    }

    [Fact]
    public void AWalkFromTheHead_IsPacedByItsOwnDuration()
    {
        var walk = new ClaimWalk();
        walk.Next(0);
        walk.Claimed([Job(1, 0, T0)], 0, 100); // Took 100 ticks: the next walk from the head is due 2,000 ticks later.
        walk.Next(101);
        Assert.False(walk.FromHead);
        walk.Claimed([], 101, 102);
        walk.Next(100 + (100 * Pacing.Share) - 1);
        Assert.False(walk.FromHead);
        walk.Claimed([], 0, 0);
        walk.Next(100 + (100 * Pacing.Share));
        Assert.True(walk.FromHead);
    }

    [Fact]
    public void AWalkFromTheHead_ThatFindsRowsBelowAFloor_MovesItDownToThem_AndWidensTheMargin()
    {
        var walk = new ClaimWalk();
        walk.Next(0);
        walk.Claimed([Job(1, 0, T0.AddMinutes(1))], 0, 1);

        walk.Next(1_000); // Due: a walk from the head.
        Assert.True(walk.FromHead);
        walk.Claimed([Job(7, 0, T0)], 1_000, 1_001); // A minute below the floor.

        Assert.Equal(T0 - ClaimWalk.Margin, walk.Next(1_002).RunAts[1]); // Moved down to it.
        Assert.False(walk.FromHead);
        walk.Claimed([Job(8, 0, T0.AddSeconds(10))], 1_002, 1_003);
        Assert.Equal(T0.AddSeconds(10) - (ClaimWalk.Margin * 2), walk.Next(1_004).RunAts[1]); // The margin doubled.
    }

    [Fact]
    public void TheMargin_WidensAtMostToItsMaximum_AndNarrowsBackWhenWalksFromTheHeadFindNothingLate()
    {
        var walk = new ClaimWalk();
        var clock = 0L;
        walk.Next(clock);
        walk.Claimed([Job(1, 0, T0.AddHours(1))], clock, clock + 1);
        for (var i = 0; i < 10; i++)
        {
            clock += 1_000;
            walk.Next(clock);
            Assert.True(walk.FromHead);
            walk.Claimed([Job(2, 0, T0.AddMinutes(-i)), Job(3, 0, T0.AddHours(1))], clock, clock + 1); // Late, then the newest.
        }

        Assert.Equal(T0.AddHours(1) - ClaimWalk.MaxMargin, walk.Next(clock + 2).RunAts[1]);

        for (var i = 0; i < 20; i++)
        {
            clock += 1_000;
            walk.Next(clock);
            walk.Claimed([Job(4, 0, T0.AddHours(2))], clock, clock + 1); // Nothing late.
        }

        Assert.Equal(T0.AddHours(2) - ClaimWalk.Margin, walk.Next(clock + 2).RunAts[1]);
    }
}
