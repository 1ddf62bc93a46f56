namespace Queues.Generator.Model;

/// <summary>
/// Where the generated enqueue class goes: <c>{Namespace}.{ClassName}</c>, by default <c>{RootNamespace}.Jobs</c>, or
/// what the MSBuild properties <c>QueuesJobsNamespace</c> and <c>QueuesJobsClassName</c> say. Equal when every member
/// is equal.
/// </summary>
/// <param name="Namespace">The class's namespace.</param>
/// <param name="ClassName">The class's name.</param>
/// <param name="GlobalUsing">
/// Whether to emit <c>global using {ClassName} = global::{Namespace}.{ClassName};</c>, so that code outside the
/// namespace (a top-level Program.cs) names the class without a <c>using</c>. Off through the MSBuild property
/// <c>QueuesJobsGlobalUsing=false</c>, and when the global namespace already has a member of that name.
/// </param>
internal sealed record GeneratorSettings(string Namespace, string ClassName, bool GlobalUsing)
{
    /// <summary>The class, fully qualified with <c>global::</c>, for generated code outside its namespace.</summary>
    public string QualifiedClassName => $"global::{Namespace}.{ClassName}";
}

/// <summary>
/// The settings, checked against the compilation: <see cref="Clash"/> is set, and nothing is generated, when the class
/// cannot be declared where the settings put it. Equal when every member is equal; only the diagnostic carries a
/// location, and it is reported from its own output.
/// </summary>
internal sealed record CheckedSettings(GeneratorSettings Settings, DiagnosticInfo? Clash);
