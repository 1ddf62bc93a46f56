using System.Collections.Immutable;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Testing;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Testing;

namespace Queues.Analyzers.Tests.Verification;

/// <summary>
/// <see cref="CSharpAnalyzerTest{TAnalyzer, TVerifier}"/> with what every Queues analyzer test shares: the stubs of the Queues
/// runtime, Npgsql, EF Core, Dapper and the generated enqueue methods (<see cref="TestSources"/>), the latest language version and
/// nullable enabled. Markup is the package's: <c>[|span|]</c> for the analyzer's one rule, <c>{|QUE0101:span|}</c> to name one.
/// </summary>
internal static class AnalyzerVerifier<TAnalyzer>
    where TAnalyzer : DiagnosticAnalyzer, new()
{
    public static Task VerifyAsync(string markupSource) => new Test { TestCode = markupSource }.RunAsync(TestContext.Current.CancellationToken);

    internal sealed class Test : CSharpAnalyzerTest<TAnalyzer, DefaultVerifier>
    {
        public Test() => QueuesTestState.Configure(this);

        /// <summary>Add the stubs as further sources (the default); clear it to compile the test code alone.</summary>
        public bool IncludeStubs { get; set; } = true;

        private readonly List<Diagnostic> _reported = [];

        /// <summary>
        /// Every diagnostic the analyzer reported in the test code, once each (the package checks some sources more than once), for
        /// targeted assertions on messages and additional locations after a run.
        /// </summary>
        public IReadOnlyList<Diagnostic> Reported =>
            _reported.DistinctBy(d => (d.Id, d.Location.SourceTree?.FilePath, d.Location.SourceSpan)).OrderBy(d => d.Location.SourceSpan.Start).ToList();

        protected override ParseOptions CreateParseOptions() => QueuesTestState.ParseOptions(base.CreateParseOptions());

        protected override CompilationOptions CreateCompilationOptions() => QueuesTestState.CompilationOptions(base.CreateCompilationOptions());

        protected override Task RunImplAsync(CancellationToken cancellationToken)
        {
            QueuesTestState.AddStubs(TestState, IncludeStubs);
            DiagnosticVerifier = (actual, _, _) => _reported.Add(actual);
            return base.RunImplAsync(cancellationToken);
        }
    }
}

/// <summary>The setup shared by the analyzer and code-fix tests; the part of the old in-repo harness the package does not replace.</summary>
internal static class QueuesTestState
{
    /// <summary>
    /// .NET 8's reference pack: the package resolves Microsoft.NETCore.App.Ref 8.0.0 through the machine's NuGet sources (the
    /// mirror serves it) into a cache under the temp folder, once per machine.
    /// </summary>
    public static readonly ReferenceAssemblies ReferenceAssemblies = ReferenceAssemblies.Net.Net80;

    public static void Configure<TVerifier>(AnalyzerTest<TVerifier> test)
        where TVerifier : IVerifier, new()
    {
        test.ReferenceAssemblies = ReferenceAssemblies;
    }

    public static void AddStubs(SolutionState state, bool include)
    {
        if (!include || state.Sources.Any(s => s.filename.EndsWith("QueuesStubs.Runtime.cs", StringComparison.Ordinal)))
        {
            return;
        }

        state.Sources.Add(("/0/QueuesStubs.Runtime.cs", TestSources.RuntimeStubs));
        state.Sources.Add(("/0/QueuesStubs.Generated.cs", TestSources.GeneratedEnqueueMethods));
        state.Sources.Add(("/0/QueuesStubs.EfCore.cs", TestSources.EfCoreStubs));
        state.Sources.Add(("/0/QueuesStubs.Dapper.cs", TestSources.DapperStubs));
    }

    public static ParseOptions ParseOptions(ParseOptions options) => ((CSharpParseOptions)options).WithLanguageVersion(LanguageVersion.Latest);

    public static CompilationOptions CompilationOptions(CompilationOptions options) =>
        ((CSharpCompilationOptions)options).WithNullableContextOptions(NullableContextOptions.Enable);
}

/// <summary>The same reference assemblies, for tests that build a compilation themselves (the corpus).</summary>
internal static class TestReferences
{
    private static readonly Lazy<Task<ImmutableArray<MetadataReference>>> Resolved =
        new(() => QueuesTestState.ReferenceAssemblies.ResolveAsync(LanguageNames.CSharp, CancellationToken.None));

    public static Task<ImmutableArray<MetadataReference>> ResolveAsync(CancellationToken cancellationToken) => Resolved.Value.WaitAsync(cancellationToken);

    /// <summary>For synchronous helpers; resolved once per test run.</summary>
    public static ImmutableArray<MetadataReference> All => Resolved.Value.GetAwaiter().GetResult();
}
