using System.Text.Json;
using System.Text.Json.Serialization;

namespace Queues.Dashboard.Internal;

// The JSON the page polls. Plain records, serialized by the source generator (no reflection); states are lowercase
// text, times ISO 8601 in UTC.

internal sealed record QueueDto(string Queue, long Scheduled, long Available, long Running, long Retryable, DateTimeOffset? OldestAvailableRunAt, bool Paused);

internal sealed record StateTotalDto(string State, long Count, bool Estimate, bool AtLeast);

internal sealed record WaitingJobDto(long Id, string Name, string Queue, DateTimeOffset RunAt);

internal sealed record NodeDto(string Name, long RunningJobs, DateTimeOffset? LastHeartbeat, bool Leader, DateTimeOffset? LeaseExpiresAt, bool Alive, long StaleJobs);

internal sealed record BucketDto(DateTimeOffset Bucket, string State, long Count);

internal sealed record OverviewDto(
    DateTimeOffset Now, IReadOnlyList<QueueDto> Queues, IReadOnlyList<StateTotalDto> Finished, WaitingJobDto? Oldest,
    IReadOnlyList<NodeDto> Nodes, IReadOnlyList<BucketDto> Throughput, IReadOnlyList<string> Warnings);

internal sealed record JobRowDto(
    long Id, string Name, string Queue, string State, int Attempt, int MaxAttempts, short Priority,
    DateTimeOffset RunAt, DateTimeOffset CreatedAt, DateTimeOffset? AttemptedAt, DateTimeOffset? FinalizedAt, string? LastError,
    DateTimeOffset? HeartbeatAt, string? Node, bool Stale);

internal sealed record JobListDto(IReadOnlyList<JobRowDto> Jobs, long? Next);

internal sealed record ErrorDto(int Attempt, DateTimeOffset At, string Kind, string? Type, string Message, string? Trace);

internal sealed record TimelineDto(DateTimeOffset At, string Event);

internal sealed record JobDetailDto(
    JobRowDto Job, string? Payload, bool PayloadHidden, IReadOnlyList<ErrorDto> Errors, IReadOnlyList<TimelineDto> Timeline, string? TraceId);

internal sealed record PeriodicJobDto(string Name, string Queue, string Cron, DateTimeOffset? LastRun, long? LastJobId, DateTimeOffset? NextRun);

// Every filter the Jobs page offers (app.js builds it from the same list as the page's query); an unknown member is
// refused (UnmappedMemberHandling below), so a filter the page sends and the server does not know cannot widen an action.
internal sealed record BulkFilterDto(string? Queue, string? Name, string[]? States, DateTimeOffset? From, DateTimeOffset? To, long? Id,
    DateTimeOffset? FinishedFrom = null, DateTimeOffset? FinishedTo = null);

internal sealed record FailureGroupDto(string Queue, string Name, string Kind, string? Type, string Message, long Discarded, long Retryable,
    DateTimeOffset FirstSeen, DateTimeOffset LastSeen);

internal sealed record FailuresDto(DateTimeOffset From, DateTimeOffset To, bool Truncated, IReadOnlyList<FailureGroupDto> Groups);

internal sealed record BulkRequestDto(string? Action, long[]? Ids, BulkFilterDto? Filter, bool? All);

internal sealed record BulkCountDto(string Action, long Count);

// Force: pause a queue the admin API does not know (no job, worker or pause has it yet); without it that is refused.
internal sealed record QueueActionDto(string? Queue, bool? Force);

internal sealed record ActionResultDto(bool Ok, long Count, string Message);

internal sealed record ErrorResultDto(string Error);

[JsonSourceGenerationOptions(JsonSerializerDefaults.Web, DefaultIgnoreCondition = JsonIgnoreCondition.Never, UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow)]
[JsonSerializable(typeof(OverviewDto))]
[JsonSerializable(typeof(IReadOnlyList<QueueDto>))]
[JsonSerializable(typeof(JobListDto))]
[JsonSerializable(typeof(JobDetailDto))]
[JsonSerializable(typeof(IReadOnlyList<PeriodicJobDto>))]
[JsonSerializable(typeof(BulkRequestDto))]
[JsonSerializable(typeof(BulkCountDto))]
[JsonSerializable(typeof(QueueActionDto))]
[JsonSerializable(typeof(ActionResultDto))]
[JsonSerializable(typeof(ErrorResultDto))]
[JsonSerializable(typeof(FailuresDto))]
internal sealed partial class DashboardJson : JsonSerializerContext;
