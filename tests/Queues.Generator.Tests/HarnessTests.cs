using System.Collections.Immutable;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Text;
using Queues.Generator.Tests.Verification;
using Xunit.Sdk;

namespace Queues.Generator.Tests;

/// <summary>The harness's own checks must catch what they are there to catch.</summary>
public sealed class HarnessTests
{
    [Fact]
    public void ObjectGraphWalk_FindsASymbolInARecordInsideAnEquatableArray()
    {
        var symbol = GeneratorHarness.CreateCompilation().GetSpecialType(SpecialType.System_Int32);
        var equatableArray = typeof(JobGenerator).Assembly.GetType("Queues.Generator.Model.EquatableArray`1", throwOnError: true)!
            .MakeGenericType(typeof(object));
        var model = new Holder("job", Activator.CreateInstance(equatableArray, [new object[] { new Holder("inner", symbol) }]));

        var failure = Assert.ThrowsAny<XunitException>(() => ObjectGraph.AssertNoCompilerObjects(model, "model"));

        Assert.Contains("is a ISymbol", failure.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ObjectGraphWalk_FindsALocationInATupleInsideAnImmutableArray()
    {
        var model = new Holder("job", ImmutableArray.Create((Name: "a", Where: (object)Location.None)));

        var failure = Assert.ThrowsAny<XunitException>(() => ObjectGraph.AssertNoCompilerObjects(model, "model"));

        Assert.Contains("is a Location", failure.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ObjectGraphWalk_AcceptsValuesOnly()
        => ObjectGraph.AssertNoCompilerObjects(new Holder("job", ImmutableArray.Create((1, new TextSpan(1, 2), "x"))), "model");

    [Fact]
    public void SnapshotScrub_ReplacesTheGeneratorVersion()
        => Assert.Equal(
            """[global::System.CodeDom.Compiler.GeneratedCode("Queues.Generator", "FIXED_VERSION")]""",
            Snapshot.Scrub("""[global::System.CodeDom.Compiler.GeneratedCode("Queues.Generator", "1.2.3-beta.4")]"""));

    private sealed record Holder(string Name, object? Value);
}
