namespace Queues.Generator.Model;

/// <summary>Project-level facts the emitters need.</summary>
internal sealed record GeneratorSettings(string RootNamespace);
