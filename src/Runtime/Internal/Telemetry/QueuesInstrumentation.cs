namespace Queues;

/// <summary>
/// The names under which Queues reports traces and metrics, for an OpenTelemetry setup:
/// <c>.WithTracing(t => t.AddSource(QueuesInstrumentation.ActivitySourceName))</c> and
/// <c>.WithMetrics(m => m.AddMeter(QueuesInstrumentation.MeterName))</c>. docs/observability.md lists every span,
/// attribute and instrument. Nothing is measured or formatted while nobody listens.
/// </summary>
public static class QueuesInstrumentation
{
    /// <summary>The name of the <see cref="System.Diagnostics.ActivitySource"/> of enqueue and processing spans.</summary>
    public const string ActivitySourceName = "Queues";

    /// <summary>The name of the <see cref="System.Diagnostics.Metrics.Meter"/> of the job counters, histograms and gauges.</summary>
    public const string MeterName = "Queues";
}
