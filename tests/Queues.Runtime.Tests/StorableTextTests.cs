using Queues.Internal;

namespace Queues.Runtime.Tests;

public sealed class StorableTextTests
{
    [Fact]
    public void CleanShortText_IsReturnedAsIs()
    {
        const string text = "héllo ✓ 🎉";
        Assert.Same(text, StorableText.Make(text, 100));
    }

    [Fact]
    public void NulAndLoneSurrogates_BecomeReplacementCharacters_PairsStayWhole()
    {
        Assert.Equal("a\uFFFDb\uFFFDc\uFFFDd🎉", StorableText.Make("a\0b\ud800c\udc00d🎉", 100));
    }

    [Fact]
    public void LongText_IsCutWithAMarkerSayingHowMuchWasLeft()
    {
        Assert.Equal("abc… (7 more characters)", StorableText.Make("abcdefghij", 3));
    }

    [Fact]
    public void Cut_NeverSplitsASurrogatePair()
    {
        // "ab" + 🎉 (two UTF-16 units): a cut after 3 units would leave half of the pair.
        var made = StorableText.Make("ab🎉cd", 3);
        Assert.Equal("ab… (4 more characters)", made);
    }
}
