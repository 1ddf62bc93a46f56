using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.CSharp.Testing;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Testing;

namespace Queues.Analyzers.Tests.Verification;

/// <summary>
/// <see cref="CSharpCodeFixTest{TAnalyzer, TCodeFix, TVerifier}"/> over the same stubs as <see cref="AnalyzerVerifier{TAnalyzer}"/>. The
/// package applies the fix one diagnostic at a time until none is left, then checks FixAll in document, project and solution
/// scope against <c>FixedCode</c> (or <c>BatchFixedCode</c> when FixAll gives another result), and that the fixed code compiles.
/// </summary>
internal static class CodeFixVerifier<TAnalyzer, TCodeFix>
    where TAnalyzer : DiagnosticAnalyzer, new()
    where TCodeFix : CodeFixProvider, new()
{
    public static Task VerifyAsync(string testCode, string fixedCode) =>
        new Test { TestCode = testCode, FixedCode = fixedCode }.RunAsync(TestContext.Current.CancellationToken);

    internal sealed class Test : CSharpCodeFixTest<TAnalyzer, TCodeFix, DefaultVerifier>
    {
        public Test() => QueuesTestState.Configure(this);

        protected override Task RunImplAsync(CancellationToken cancellationToken)
        {
            // After TestCode/FixedCode are set, so the code under test is Test0.cs and the stubs follow it in every state.
            QueuesTestState.AddStubs(TestState, include: true);
            QueuesTestState.AddStubs(FixedState, include: FixedState.Sources.Count > 0);
            QueuesTestState.AddStubs(BatchFixedState, include: BatchFixedState.Sources.Count > 0);
            return base.RunImplAsync(cancellationToken);
        }

        protected override Microsoft.CodeAnalysis.ParseOptions CreateParseOptions() => QueuesTestState.ParseOptions(base.CreateParseOptions());

        protected override CompilationOptions CreateCompilationOptions() => QueuesTestState.CompilationOptions(base.CreateCompilationOptions());
    }
}
