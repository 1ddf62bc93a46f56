namespace Queues.Internal.Telemetry;

/// <summary>
/// Attribute names, after the OpenTelemetry messaging semantic conventions where one fits, under <c>queues.</c> where
/// none does. docs/observability.md lists them.
/// </summary>
internal static class Tags
{
    public const string MessagingSystem = "messaging.system";
    public const string OperationType = "messaging.operation.type";
    public const string OperationName = "messaging.operation.name";
    public const string DestinationName = "messaging.destination.name";
    public const string MessageId = "messaging.message.id";
    public const string BatchMessageCount = "messaging.batch.message_count";
    public const string ErrorType = "error.type";

    public const string JobName = "queues.job.name";
    public const string JobAttempt = "queues.job.attempt";
    public const string JobOutcome = "queues.job.outcome";
    public const string JobState = "queues.job.state";
    public const string ErrorKind = "queues.error.kind";
    public const string Schema = "queues.schema";

    /// <summary>The value of <see cref="MessagingSystem"/>.</summary>
    public const string System = "queues";
}
