using System.Collections.Immutable;
using System.Reflection;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.Diagnostics;
using Queues.Analyzers.Tests.Verification;

namespace Queues.Analyzers.Tests;

/// <summary>
/// The analyzers' shape, checked on what they register rather than on timings: they run concurrently, skip generated code, resolve
/// symbols once at compilation start, register nothing when Queues is absent, and never walk whole syntax trees or compilations.
/// </summary>
public sealed class AnalyzerRegistrationTests
{
    private static readonly string[] Forbidden =
        ["RegisterSyntaxTreeAction", "RegisterSemanticModelAction", "RegisterCompilationAction", "RegisterCompilationEndAction", "RegisterAdditionalFileAction"];

    public static TheoryData<string> AnalyzerNames() => new(AllAnalyzers().Select(a => a.GetType().Name));

    [Fact]
    public void EveryRule_HasAnAnalyzer()
    {
        var ids = AllAnalyzers().SelectMany(a => a.SupportedDiagnostics).Select(d => d.Id).Order(StringComparer.Ordinal);

        Assert.Equal(["QUE0101", "QUE0102", "QUE0103", "QUE0104", "QUE0105", "QUE0106"], ids);
    }

    [Theory]
    [MemberData(nameof(AnalyzerNames))]
    public void Initialize_ConfiguresAndRegistersOnlyACompilationStartAction(string name)
    {
        var context = new RecordingAnalysisContext();

        Analyzer(name).Initialize(context);

        Assert.True(context.ConcurrentExecution, "EnableConcurrentExecution was not called.");
        Assert.Equal(GeneratedCodeAnalysisFlags.None, context.GeneratedCode);
        Assert.Equal(["RegisterCompilationStartAction"], context.Calls);
    }

    [Theory]
    [MemberData(nameof(AnalyzerNames))]
    public void CompilationStart_RegistersOnlyInvocationOperationActions(string name)
    {
        var calls = RunCompilationStart(Analyzer(name), Compile(TestSources.RuntimeStubs, TestSources.GeneratedEnqueueMethods, TestSources.EfCoreStubs));

        Assert.Equal(["RegisterOperationAction(Invocation)"], calls);
        Assert.DoesNotContain(calls, call => Forbidden.Any(f => call.StartsWith(f, StringComparison.Ordinal)));
    }

    [Theory]
    [MemberData(nameof(AnalyzerNames))]
    public void CompilationWithoutQueues_RegistersNothing(string name)
    {
        var calls = RunCompilationStart(Analyzer(name), Compile("namespace App { public sealed class Plain { } }"));

        Assert.Empty(calls);
    }

    [Fact]
    public void RecordingContext_SeesForbiddenRegistrations()
    {
        // The recorder must be able to fail: a whole-tree walk registered by some analyzer shows up in its calls.
        var calls = RunCompilationStart(new TreeWalkingAnalyzer(), Compile("namespace App { }"));

        Assert.Contains("RegisterSyntaxTreeAction", calls);
    }

    private static List<string> RunCompilationStart(DiagnosticAnalyzer analyzer, Compilation compilation)
    {
        var context = new RecordingAnalysisContext();
        analyzer.Initialize(context);
        var start = new RecordingCompilationStartContext(compilation);
        foreach (var action in context.StartActions)
        {
            action(start);
        }

        return start.Calls;
    }

    private static Compilation Compile(params string[] sources) =>
        CSharpCompilation.Create(
            "Registration",
            sources.Select(s => CSharpSyntaxTree.ParseText(s, cancellationToken: TestContext.Current.CancellationToken)),
            TestReferences.All,
            new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary, nullableContextOptions: NullableContextOptions.Enable));

    private static DiagnosticAnalyzer Analyzer(string name) => AllAnalyzers().Single(a => a.GetType().Name == name);

    private static IEnumerable<DiagnosticAnalyzer> AllAnalyzers() =>
        typeof(DiagnosticDescriptors).Assembly.GetTypes()
            .Where(t => !t.IsAbstract && typeof(DiagnosticAnalyzer).IsAssignableFrom(t) && t.GetCustomAttribute<DiagnosticAnalyzerAttribute>() is not null)
            .OrderBy(t => t.Name, StringComparer.Ordinal)
            .Select(t => (DiagnosticAnalyzer)Activator.CreateInstance(t)!);

    // A deliberately bad analyzer, only ever handed to the recorder; the RS rules it trips are the point.
#pragma warning disable RS1001, RS1025, RS1026
    private sealed class TreeWalkingAnalyzer : DiagnosticAnalyzer
    {
        public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics => [];

        public override void Initialize(AnalysisContext context) =>
            context.RegisterCompilationStartAction(start => start.RegisterSyntaxTreeAction(_ => { }));
    }
#pragma warning restore RS1001, RS1025, RS1026

    private sealed class RecordingAnalysisContext : AnalysisContext
    {
        public List<string> Calls { get; } = [];

        public List<Action<CompilationStartAnalysisContext>> StartActions { get; } = [];

        public bool ConcurrentExecution { get; private set; }

        public GeneratedCodeAnalysisFlags? GeneratedCode { get; private set; }

        public override void EnableConcurrentExecution() => ConcurrentExecution = true;

        public override void ConfigureGeneratedCodeAnalysis(GeneratedCodeAnalysisFlags analysisMode) => GeneratedCode = analysisMode;

        public override void RegisterCompilationStartAction(Action<CompilationStartAnalysisContext> action)
        {
            Calls.Add(nameof(RegisterCompilationStartAction));
            StartActions.Add(action);
        }

        public override void RegisterCompilationAction(Action<CompilationAnalysisContext> action) => Calls.Add(nameof(RegisterCompilationAction));

        public override void RegisterSemanticModelAction(Action<SemanticModelAnalysisContext> action) => Calls.Add(nameof(RegisterSemanticModelAction));

        public override void RegisterSymbolAction(Action<SymbolAnalysisContext> action, ImmutableArray<SymbolKind> symbolKinds) => Calls.Add(nameof(RegisterSymbolAction));

        public override void RegisterCodeBlockStartAction<TLanguageKindEnum>(Action<CodeBlockStartAnalysisContext<TLanguageKindEnum>> action) => Calls.Add(nameof(RegisterCodeBlockStartAction));

        public override void RegisterCodeBlockAction(Action<CodeBlockAnalysisContext> action) => Calls.Add(nameof(RegisterCodeBlockAction));

        public override void RegisterSyntaxTreeAction(Action<SyntaxTreeAnalysisContext> action) => Calls.Add(nameof(RegisterSyntaxTreeAction));

        public override void RegisterAdditionalFileAction(Action<AdditionalFileAnalysisContext> action) => Calls.Add(nameof(RegisterAdditionalFileAction));

        public override void RegisterSyntaxNodeAction<TLanguageKindEnum>(Action<SyntaxNodeAnalysisContext> action, ImmutableArray<TLanguageKindEnum> syntaxKinds) => Calls.Add(nameof(RegisterSyntaxNodeAction));

        public override void RegisterOperationAction(Action<OperationAnalysisContext> action, ImmutableArray<OperationKind> operationKinds) =>
            Calls.Add($"{nameof(RegisterOperationAction)}({string.Join(",", operationKinds)})");

        public override void RegisterOperationBlockStartAction(Action<OperationBlockStartAnalysisContext> action) => Calls.Add(nameof(RegisterOperationBlockStartAction));

        public override void RegisterOperationBlockAction(Action<OperationBlockAnalysisContext> action) => Calls.Add(nameof(RegisterOperationBlockAction));

        public override void RegisterSymbolStartAction(Action<SymbolStartAnalysisContext> action, SymbolKind symbolKind) => Calls.Add(nameof(RegisterSymbolStartAction));
    }

    private sealed class RecordingCompilationStartContext(Compilation compilation)
        : CompilationStartAnalysisContext(compilation, new AnalyzerOptions([]), CancellationToken.None)
    {
        public List<string> Calls { get; } = [];

        public override void RegisterCompilationEndAction(Action<CompilationAnalysisContext> action) => Calls.Add(nameof(RegisterCompilationEndAction));

        public override void RegisterSemanticModelAction(Action<SemanticModelAnalysisContext> action) => Calls.Add(nameof(RegisterSemanticModelAction));

        public override void RegisterSymbolAction(Action<SymbolAnalysisContext> action, ImmutableArray<SymbolKind> symbolKinds) => Calls.Add(nameof(RegisterSymbolAction));

        public override void RegisterCodeBlockStartAction<TLanguageKindEnum>(Action<CodeBlockStartAnalysisContext<TLanguageKindEnum>> action) => Calls.Add(nameof(RegisterCodeBlockStartAction));

        public override void RegisterCodeBlockAction(Action<CodeBlockAnalysisContext> action) => Calls.Add(nameof(RegisterCodeBlockAction));

        public override void RegisterSyntaxTreeAction(Action<SyntaxTreeAnalysisContext> action) => Calls.Add(nameof(RegisterSyntaxTreeAction));

        public override void RegisterAdditionalFileAction(Action<AdditionalFileAnalysisContext> action) => Calls.Add(nameof(RegisterAdditionalFileAction));

        public override void RegisterSyntaxNodeAction<TLanguageKindEnum>(Action<SyntaxNodeAnalysisContext> action, ImmutableArray<TLanguageKindEnum> syntaxKinds) => Calls.Add(nameof(RegisterSyntaxNodeAction));

        public override void RegisterOperationAction(Action<OperationAnalysisContext> action, ImmutableArray<OperationKind> operationKinds) =>
            Calls.Add($"{nameof(RegisterOperationAction)}({string.Join(",", operationKinds)})");

        public override void RegisterOperationBlockStartAction(Action<OperationBlockStartAnalysisContext> action) => Calls.Add(nameof(RegisterOperationBlockStartAction));

        public override void RegisterOperationBlockAction(Action<OperationBlockAnalysisContext> action) => Calls.Add(nameof(RegisterOperationBlockAction));

        public override void RegisterSymbolStartAction(Action<SymbolStartAnalysisContext> action, SymbolKind symbolKind) => Calls.Add(nameof(RegisterSymbolStartAction));
    }
}
