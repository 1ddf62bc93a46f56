namespace Queues.Dashboard;

/// <summary>
/// What the dashboard shows and allows. The defaults are safe: read-only, payloads hidden, and (outside the Development
/// environment) no mapping without an <see cref="AuthorizationPolicy"/>.
/// </summary>
public sealed class QueuesDashboardOptions
{
    /// <summary>The interval at which open pages refresh themselves: 2 seconds.</summary>
    public static readonly TimeSpan DefaultRefreshInterval = TimeSpan.FromSeconds(2);

    /// <summary>
    /// The authorization policy every dashboard endpoint requires (pages, data and actions). Required outside the
    /// Development environment: mapping throws without one, so a dashboard is never public by accident.
    /// </summary>
    public string? AuthorizationPolicy { get; set; }

    /// <summary>
    /// The authorization policy a user must also satisfy to act (retry, cancel, delete, pause, resume), on top of
    /// <see cref="AuthorizationPolicy"/>, so most people can be given a read-only dashboard: a user who passes only the
    /// view policy sees no action buttons and gets 403 from every action endpoint. Null: acting needs what viewing needs
    /// (and <see cref="AllowActions"/>). Needs <c>services.AddAuthorization()</c>.
    /// </summary>
    public string? ActionPolicy { get; set; }

    /// <summary>
    /// Allow retry, cancel, delete (one job or in bulk) and pause/resume. Off by default: the dashboard is read-only and
    /// every action answers 403. Actions always need the antiforgery token the dashboard's page carries.
    /// </summary>
    public bool AllowActions { get; set; }

    /// <summary>Show job payloads on the job page. Off by default: payloads often hold personal data.</summary>
    public bool ShowPayloads { get; set; }

    /// <summary>
    /// Renders a job's payload for display when <see cref="ShowPayloads"/> is on, for example with secrets masked;
    /// null shows the stored JSON, pretty-printed.
    /// </summary>
    public Func<JobInfo, string>? RedactPayload { get; set; }

    /// <summary>How often open pages refresh; at least 250 ms. Defaults to <see cref="DefaultRefreshInterval"/>.</summary>
    public TimeSpan RefreshInterval { get; set; } = DefaultRefreshInterval;

    /// <summary>The page title, for telling several dashboards apart.</summary>
    public string Title { get; set; } = "Queues";
}
