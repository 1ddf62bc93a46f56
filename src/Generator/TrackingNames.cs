namespace Queues.Generator;

/// <summary>Names of the tracked pipeline steps; the caching tests check every one of them.</summary>
public static class TrackingNames
{
    public const string ParseJobs = nameof(ParseJobs);
    public const string Specs = nameof(Specs);
    public const string Settings = nameof(Settings);
    public const string CheckedSettings = nameof(CheckedSettings);
    public const string Registry = nameof(Registry);
    public const string ResolveJobs = nameof(ResolveJobs);
    public const string SerializerContexts = nameof(SerializerContexts);
    public const string ReferencedJobs = nameof(ReferencedJobs);
}
