using System.Text;
using Queues.Internal;

namespace Queues.Runtime.Tests;

public sealed class EnqueueValidationTests
{
    private static readonly JobDefinition Job = new("test.job", "default", 0, 5);

    [Theory]
    [InlineData("{\"text\":\"a\\u0000b\"}", "member 'text'")]
    [InlineData("{\"outer\":{\"inner\":[\"x\",\"\\u0000\"]}}", "member 'inner'")]
    [InlineData("{\"a\\u0000\":1}", "member name")]
    public void PayloadWithAnEscapedNul_IsRefusedNamingTheMember(string json, string expected)
    {
        var error = Assert.Throws<ArgumentException>(() => StorablePayload.Check(Job, Encoding.UTF8.GetBytes(json)));
        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("{\"text\":\"\\\\u0000\"}")]
    [InlineData("{\"text\":\"plain\",\"n\":0}")]
    public void PayloadWithoutANul_IsAccepted(string json) => StorablePayload.Check(Job, Encoding.UTF8.GetBytes(json));

    [Fact]
    public void Options_OverrideTheDefinition_AndAreValidated()
    {
        var row = NewJobs.Create(Job, "{}"u8, new EnqueueOptions { Queue = "other", Priority = 3, MaxAttempts = 9, Delay = TimeSpan.FromMinutes(1) });
        Assert.Equal(("other", (short)3, (short)9), (row.Queue, row.Priority, row.MaxAttempts));
        Assert.True(row.IsScheduled);
        Assert.False(row.IsDueNow);
        Assert.Null(row.UniqueKey);

        Assert.Throws<ArgumentOutOfRangeException>(() => NewJobs.Create(Job, "{}"u8, new EnqueueOptions { MaxAttempts = 0 }));
        Assert.Throws<ArgumentException>(() => NewJobs.Create(Job, "{}"u8, new EnqueueOptions { Queue = "a\0b" }));
        Assert.Throws<ArgumentOutOfRangeException>(() => NewJobs.Create(Job, "{}"u8, new EnqueueOptions { RunAt = DateTimeOffset.MaxValue }));
        Assert.Throws<ArgumentOutOfRangeException>(() => NewJobs.Create(Job, "{}"u8, new EnqueueOptions { Delay = TimeSpan.MinValue }));
    }

    [Fact]
    public void UniqueJob_GetsAKeyAndItsStates_OtherMembersDoNotMatter()
    {
        var unique = new JobDefinition("test.unique") { UniqueBy = ["account"] };
        var first = NewJobs.Create(unique, "{\"account\":1,\"reason\":\"a\"}"u8, null);
        var second = NewJobs.Create(unique, "{\"reason\":\"b\",\"account\":1}"u8, null);
        var other = NewJobs.Create(unique, "{\"account\":2}"u8, null);
        Assert.Equal(first.UniqueKey, second.UniqueKey);
        Assert.NotEqual(first.UniqueKey, other.UniqueKey);
        Assert.Equal(["scheduled", "available", "running", "retryable"], first.UniqueStates!);
    }

    [Theory]
    [InlineData("ok_name", true)]
    [InlineData("a\0b", false)]
    [InlineData("a🎉", true)]
    public void StorableNames_HaveNoNulAndNoBrokenPairs(string name, bool storable) => Assert.Equal(storable, Validate.IsStorable(name));

    [Fact]
    public void LoneSurrogates_AreNotStorable()
    {
        // Built in code: an attribute argument cannot carry a lone surrogate (it becomes U+FFFD in metadata).
        Assert.False(Validate.IsStorable("a" + (char)0xD800));
        Assert.False(Validate.IsStorable((char)0xDC00 + "a"));
    }
}
