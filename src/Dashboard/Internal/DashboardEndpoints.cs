using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Antiforgery;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Primitives;
using Npgsql;

namespace Queues.Dashboard.Internal;

/// <summary>
/// The dashboard's page, assets and JSON endpoints. Every handler is a plain <see cref="RequestDelegate"/> (no
/// reflection-based binding); every filter reaches the database as a typed parameter through <see cref="QueuesAdmin"/>.
/// </summary>
internal sealed class DashboardEndpoints(QueuesDashboardOptions options, string prefix)
{
    private const int DefaultPageSize = 50;

    /// <summary>The parameters <c>GET api/jobs</c> takes: the Jobs page's filters, its cursor and the page size.</summary>
    private static readonly string[] JobsParameters = ["queue", "name", "state", "from", "to", "finishedFrom", "finishedTo", "id", "before", "limit"];

    /// <summary>The windows the Failures page offers, in minutes; <c>GET api/failures?minutes=</c> takes any from 1 to a week.</summary>
    private const int MaxFailureWindowMinutes = 7 * 24 * 60;

    private readonly string _page = Assets.Text("index.html");
    private readonly byte[] _script = Assets.Bytes("app.js");
    private readonly byte[] _styles = Assets.Bytes("app.css");
    private readonly ThroughputCache _throughput = new();

    public void Map(RouteGroupBuilder group)
    {
        // Serves both /queues and /queues/ (routing ignores a trailing slash); the page uses absolute URLs.
        group.MapGet("/", (RequestDelegate)PageAsync);
        group.MapGet("/assets/app.js", (RequestDelegate)(context => AssetAsync(context, _script, "text/javascript; charset=utf-8")));
        group.MapGet("/assets/app.css", (RequestDelegate)(context => AssetAsync(context, _styles, "text/css; charset=utf-8")));

        group.MapGet("/api/overview", (RequestDelegate)(context => ReadAsync(context, OverviewAsync)));
        group.MapGet("/api/queues", (RequestDelegate)(context => ReadAsync(context, QueuesAsync)));
        group.MapGet("/api/jobs", (RequestDelegate)(context => ReadAsync(context, JobsAsync)));
        group.MapGet("/api/jobs/{id:long}", (RequestDelegate)(context => ReadAsync(context, JobAsync)));
        group.MapGet("/api/cron", (RequestDelegate)(context => ReadAsync(context, CronAsync)));
        group.MapGet("/api/failures", (RequestDelegate)(context => ReadAsync(context, FailuresAsync)));

        group.MapPost("/api/jobs/bulk", (RequestDelegate)(context => ActAsync(context, BulkAsync)));
        // A read with the bulk action's own body, so the count the confirmation shows is of the very filter it sends.
        group.MapPost("/api/jobs/bulk/count", (RequestDelegate)(context => ReadAsync(context, BulkCountAsync)));
        // Literal segments rather than a regex constraint: CreateSlimBuilder apps do not register the regex constraint.
        foreach (var action in (string[])["retry", "cancel", "delete"])
        {
            Func<HttpContext, QueuesAdmin, CancellationToken, Task<IResult>> handler = (c, a, ct) => JobActionAsync(c, a, action, ct);
            group.MapPost("/api/jobs/{id:long}/" + action, (RequestDelegate)(context => ActAsync(context, handler)));
        }

        // The queue travels in the body, never in the path: routing does not unescape %2F, so a queue named
        // "tenant/eu" reached the handler as "tenant%2Feu" and a phantom queue was paused (issue 21).
        foreach (var action in (string[])["pause", "resume"])
        {
            Func<HttpContext, QueuesAdmin, CancellationToken, Task<IResult>> handler = (c, a, ct) => QueueActionAsync(c, a, action == "pause", ct);
            group.MapPost("/api/queues/" + action, (RequestDelegate)(context => ActAsync(context, handler)));
        }
    }

    private async Task PageAsync(HttpContext context)
    {
        var antiforgery = context.RequestServices.GetRequiredService<IAntiforgery>();
        var tokens = antiforgery.GetAndStoreTokens(context);
        var html = new StringBuilder(_page)
            .Replace("{{base}}", Encode(context.Request.PathBase + prefix))
            .Replace("{{title}}", Encode(options.Title))
            .Replace("{{token}}", Encode(tokens.RequestToken ?? ""))
            .Replace("{{header}}", Encode(tokens.HeaderName ?? "RequestVerificationToken"))
            .Replace("{{allowActions}}", await MayActAsync(context).ConfigureAwait(false) ? "true" : "false")
            .Replace("{{states}}", string.Join(",", Enum.GetValues<JobState>().Select(StateText)))
            .Replace("{{unfinished}}", string.Join(",", Enum.GetValues<JobState>().Where(static s => !s.IsFinished()).Select(StateText)))
            .Replace("{{showPayloads}}", options.ShowPayloads ? "true" : "false")
            .Replace("{{refreshMs}}", ((int)options.RefreshInterval.TotalMilliseconds).ToString(CultureInfo.InvariantCulture))
            .ToString();
        context.Response.ContentType = "text/html; charset=utf-8";
        context.Response.Headers.CacheControl = "no-store";
        context.Response.Headers["X-Content-Type-Options"] = "nosniff";
        context.Response.Headers["X-Frame-Options"] = "DENY";
        context.Response.Headers["Content-Security-Policy"] =
            "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; form-action 'none'";
        await context.Response.WriteAsync(html, context.RequestAborted).ConfigureAwait(false);

        static string Encode(string value) => WebUtility.HtmlEncode(value);
    }

    private static async Task AssetAsync(HttpContext context, byte[] content, string contentType)
    {
        context.Response.ContentType = contentType;
        context.Response.Headers.CacheControl = "no-cache";
        context.Response.Headers["X-Content-Type-Options"] = "nosniff";
        await context.Response.Body.WriteAsync(content, context.RequestAborted).ConfigureAwait(false);
    }

    private static async Task ReadAsync(HttpContext context, Func<HttpContext, QueuesAdmin, CancellationToken, Task<IResult>> read)
    {
        context.Response.Headers.CacheControl = "no-store";
        var result = await GuardAsync(context, read).ConfigureAwait(false);
        await result.ExecuteAsync(context).ConfigureAwait(false);
    }

    /// <summary>Whether this request's user may act: actions are on and, when there is an action policy, the user satisfies it.</summary>
    private async Task<bool> MayActAsync(HttpContext context)
        => options.AllowActions && (options.ActionPolicy is not { } policy
            || (await context.RequestServices.GetRequiredService<IAuthorizationService>().AuthorizeAsync(context.User, policy).ConfigureAwait(false)).Succeeded);

    /// <summary>
    /// Who acts, as the action event and the reasons stored on jobs name them: the signed-in user's name (anonymous only
    /// where the view policy lets anonymous users in, such as Development without a policy), and the channel.
    /// </summary>
    private static string Actor(HttpContext context)
        => (context.User.Identity is { IsAuthenticated: true, Name: { Length: > 0 } name } ? name : "anonymous") + " via the dashboard";

    private async Task ActAsync(HttpContext context, Func<HttpContext, QueuesAdmin, CancellationToken, Task<IResult>> act)
    {
        context.Response.Headers.CacheControl = "no-store";
        IResult result;
        if (!options.AllowActions)
        {
            result = Error(StatusCodes.Status403Forbidden, "The dashboard is read-only: set QueuesDashboardOptions.AllowActions to enable actions.");
        }
        else if (!await MayActAsync(context).ConfigureAwait(false))
        {
            result = Error(StatusCodes.Status403Forbidden, $"You may view this dashboard but not act: actions need the authorization policy '{options.ActionPolicy}'.");
        }
        else if (!await IsAntiforgeryValidAsync(context).ConfigureAwait(false))
        {
            result = Error(StatusCodes.Status400BadRequest, "The antiforgery token is missing or invalid: reload the dashboard page and try again.");
        }
        else
        {
            var actor = Actor(context);
            result = await GuardAsync(context, (c, admin, ct) => act(c, admin.WithActor(actor), ct)).ConfigureAwait(false);
        }

        await result.ExecuteAsync(context).ConfigureAwait(false);
    }

    private static async Task<bool> IsAntiforgeryValidAsync(HttpContext context)
    {
        try
        {
            await context.RequestServices.GetRequiredService<IAntiforgery>().ValidateRequestAsync(context).ConfigureAwait(false);
            return true;
        }
        catch (AntiforgeryValidationException)
        {
            return false;
        }
    }

    private static async Task<IResult> GuardAsync(HttpContext context, Func<HttpContext, QueuesAdmin, CancellationToken, Task<IResult>> handle)
    {
        try
        {
            return await handle(context, context.RequestServices.GetRequiredService<QueuesAdmin>(), context.RequestAborted).ConfigureAwait(false);
        }
        catch (BadRequestException exception)
        {
            return Error(StatusCodes.Status400BadRequest, exception.Message);
        }
        catch (ArgumentException exception)
        {
            return Error(StatusCodes.Status400BadRequest, exception.Message);
        }
        catch (InvalidOperationException exception) when (exception.InnerException is PostgresException)
        {
            return Error(StatusCodes.Status409Conflict, exception.Message);
        }
        catch (NpgsqlException exception) when (IsUnavailable(exception))
        {
            // A database that is down, restarting or out of connections is a state the page shows and retries, not a
            // crash: 503 with one readable line (issue 21 saw a 500 with a stack trace during a restart).
            context.Response.Headers.RetryAfter = "5";
            var reason = exception is PostgresException postgres ? $"{postgres.MessageText} ({postgres.SqlState})" : exception.InnerException?.Message ?? exception.Message;
            return Error(StatusCodes.Status503ServiceUnavailable, "The database is unavailable: " + reason);
        }
    }

    /// <summary>
    /// Whether the database could not serve the request at all: no connection (network, timeout, pool), or the server
    /// refused or dropped it (class 08 connection exceptions, 53 insufficient resources such as too many connections,
    /// 57P01–57P05 shutdown, crash recovery, starting up). Any other server error is an answer, not an outage.
    /// </summary>
    private static bool IsUnavailable(NpgsqlException exception) => exception is not PostgresException postgres
        || postgres.SqlState.StartsWith("08", StringComparison.Ordinal)
        || postgres.SqlState.StartsWith("53", StringComparison.Ordinal)
        || postgres.SqlState.StartsWith("57P", StringComparison.Ordinal);

    private async Task<IResult> OverviewAsync(HttpContext context, QueuesAdmin admin, CancellationToken cancellationToken)
    {
        var now = DateTimeOffset.UtcNow;
        var queues = await admin.GetQueueSummariesAsync(cancellationToken).ConfigureAwait(false);
        var finished = await admin.GetFinishedTotalsAsync(cancellationToken).ConfigureAwait(false);

        // The summaries tell which queue holds the oldest waiting job, so finding it is one probe of that queue.
        var oldestQueue = queues.Where(static q => q.OldestAvailableRunAt is not null).MinBy(static q => q.OldestAvailableRunAt);
        var oldest = oldestQueue is null ? null : await admin.GetOldestWaitingJobAsync(oldestQueue.Queue, cancellationToken).ConfigureAwait(false);
        var nodes = await admin.GetNodesAsync(cancellationToken).ConfigureAwait(false);
        var throughput = await _throughput.GetAsync(admin, now, cancellationToken).ConfigureAwait(false);
        var overview = new OverviewDto(
            now,
            [.. queues.Select(ToDto)],
            [.. finished.Select(static t => new StateTotalDto(StateText(t.State), t.Count, t.IsEstimate, t.IsLowerBound))],
            oldest is null ? null : new WaitingJobDto(oldest.Id.Value, oldest.Name, oldest.Queue, oldest.RunAt),
            [.. nodes.Select(static n => new NodeDto(n.Name, n.RunningJobs, n.LastHeartbeat, n.IsLeader, n.LeaseExpiresAt, n.IsAlive, n.StaleJobs))],
            [.. throughput.Select(static b => new BucketDto(b.BucketStart, StateText(b.State), b.Count))],
            Warnings(nodes, admin.RescueAfter));
        return TypedResults.Json(overview, DashboardJson.Default.OverviewDto);
    }

    private static async Task<IResult> QueuesAsync(HttpContext context, QueuesAdmin admin, CancellationToken cancellationToken)
    {
        var queues = await admin.GetQueueSummariesAsync(cancellationToken).ConfigureAwait(false);
        return TypedResults.Json<IReadOnlyList<QueueDto>>([.. queues.Select(ToDto)], DashboardJson.Default.IReadOnlyListQueueDto);
    }

    private static async Task<IResult> JobsAsync(HttpContext context, QueuesAdmin admin, CancellationToken cancellationToken)
    {
        var query = context.Request.Query;
        // A parameter the server does not know is refused, not ignored: an ignored filter widens what the page shows
        // (and what a bulk action built from the same page would touch) without anyone noticing.
        if (query.Keys.FirstOrDefault(static k => !JobsParameters.Contains(k, StringComparer.Ordinal)) is { } unknown)
        {
            throw new BadRequestException($"Unknown parameter '{unknown}': use {string.Join(", ", JobsParameters)}.");
        }

        if (OptionalLong(query, "id") is { } id)
        {
            // The other filters apply as well, as they do to a bulk action with this id: what the page lists is what
            // "Delete all" deletes.
            var job = await admin.GetJobAsync(new JobId(id), cancellationToken).ConfigureAwait(false);
            var (queue, name, states) = (OptionalText(query, "queue"), OptionalText(query, "name"), States(query["state"]));
            var (from, to) = (OptionalTime(query, "from"), OptionalTime(query, "to"));
            var (finishedFrom, finishedTo) = (OptionalTime(query, "finishedFrom"), OptionalTime(query, "finishedTo"));
            var shown = job is not null && (queue is null || job.Queue == queue) && (name is null || job.Name == name)
                && (states is null || states.Contains(job.State)) && (from is null || job.CreatedAt >= from) && (to is null || job.CreatedAt < to)
                && (finishedFrom is null || job.FinalizedAt >= finishedFrom) && (finishedTo is null || job.FinalizedAt < finishedTo);
            return TypedResults.Json(new JobListDto(shown ? [ToRow(job!)] : [], null), DashboardJson.Default.JobListDto);
        }

        var limit = (int)(OptionalLong(query, "limit") ?? DefaultPageSize);
        if (limit is < 1 or > QueuesAdmin.MaxPageSize)
        {
            throw new BadRequestException($"limit must be between 1 and {QueuesAdmin.MaxPageSize}; it was {limit}.");
        }

        var page = await admin.ListJobsAsync(new JobFilter
        {
            Queue = OptionalText(query, "queue"),
            Name = OptionalText(query, "name"),
            States = States(query["state"]),
            CreatedFrom = OptionalTime(query, "from"),
            CreatedBefore = OptionalTime(query, "to"),
            FinishedFrom = OptionalTime(query, "finishedFrom"),
            FinishedBefore = OptionalTime(query, "finishedTo"),
        }, OptionalLong(query, "before") is { } before ? new JobId(before) : null, limit, cancellationToken).ConfigureAwait(false);
        return TypedResults.Json(new JobListDto([.. page.Jobs.Select(ToRow)], page.NextCursor?.Value), DashboardJson.Default.JobListDto);
    }

    private async Task<IResult> JobAsync(HttpContext context, QueuesAdmin admin, CancellationToken cancellationToken)
    {
        var id = RouteLong(context, "id");
        var job = await admin.GetJobAsync(new JobId(id), cancellationToken).ConfigureAwait(false);
        if (job is null)
        {
            return Error(StatusCodes.Status404NotFound, $"There is no job {id}.");
        }

        string? payload = null;
        if (options.ShowPayloads)
        {
            payload = options.RedactPayload is { } redact ? redact(job) : Pretty(job.Payload);
        }

        var detail = new JobDetailDto(
            ToRow(job),
            payload,
            !options.ShowPayloads,
            [.. job.Errors.Select(static e => new ErrorDto(e.Attempt, e.At, e.Kind, e.Type, e.Message, e.Trace))],
            Timeline(job),
            TraceId: null);
        return TypedResults.Json(detail, DashboardJson.Default.JobDetailDto);
    }

    private static async Task<IResult> CronAsync(HttpContext context, QueuesAdmin admin, CancellationToken cancellationToken)
    {
        var jobs = QueuesAdmin.GetRegisteredJobs(context.RequestServices);
        var periodic = await admin.GetPeriodicJobsAsync(jobs, cancellationToken).ConfigureAwait(false);
        return TypedResults.Json<IReadOnlyList<PeriodicJobDto>>(
            [.. periodic.Select(static p => new PeriodicJobDto(p.Name, p.Queue, p.Cron, p.LastRun, p.LastJobId?.Value, p.NextRun))],
            DashboardJson.Default.IReadOnlyListPeriodicJobDto);
    }

    /// <summary>Failures grouped by reason over the last <c>minutes</c> (15 by default), in one <c>queue</c> or all.</summary>
    private static async Task<IResult> FailuresAsync(HttpContext context, QueuesAdmin admin, CancellationToken cancellationToken)
    {
        var query = context.Request.Query;
        if (query.Keys.FirstOrDefault(static k => k is not ("minutes" or "queue")) is { } unknown)
        {
            throw new BadRequestException($"Unknown parameter '{unknown}': use minutes, queue.");
        }

        var minutes = OptionalLong(query, "minutes") ?? 15;
        if (minutes is < 1 or > MaxFailureWindowMinutes)
        {
            throw new BadRequestException($"minutes must be between 1 and {MaxFailureWindowMinutes}; it was {minutes}.");
        }

        var to = DateTimeOffset.UtcNow;
        var failures = await admin.GetFailureGroupsAsync(to.AddMinutes(-minutes), to, OptionalText(query, "queue"), cancellationToken).ConfigureAwait(false);
        return TypedResults.Json(new FailuresDto(failures.From, failures.To, failures.IsTruncated,
            [.. failures.Groups.Select(static g => new FailureGroupDto(g.Queue, g.Name, g.Kind, g.Type, g.Message, g.Discarded, g.Retryable, g.FirstSeen, g.LastSeen))]),
            DashboardJson.Default.FailuresDto);
    }

    private static async Task<IResult> JobActionAsync(HttpContext context, QueuesAdmin admin, string action, CancellationToken cancellationToken)
    {
        var id = new JobId(RouteLong(context, "id"));
        var done = action switch
        {
            "retry" => await admin.RetryJobAsync(id, cancellationToken).ConfigureAwait(false),
            "cancel" => await admin.CancelJobAsync(id, "cancelled", cancellationToken).ConfigureAwait(false),
            _ => await admin.DeleteJobsAsync(new JobFilter { Ids = [id] }, cancellationToken: cancellationToken).ConfigureAwait(false) == 1,
        };
        if (done)
        {
            return TypedResults.Json(new ActionResultDto(true, 1, $"Job {id}: {action} done."), DashboardJson.Default.ActionResultDto);
        }

        var job = await admin.GetJobAsync(id, cancellationToken).ConfigureAwait(false);
        if (job is null)
        {
            return Error(StatusCodes.Status404NotFound, $"There is no job {id}.");
        }

        var allowed = action switch
        {
            "retry" => "discarded or cancelled",
            "cancel" => Describe(Enum.GetValues<JobState>().Where(static s => !s.IsFinished())),
            _ => "not running (cancel it first)",
        };
        return Error(StatusCodes.Status409Conflict, $"Job {id} is {StateText(job.State)}: only a job that is {allowed} can be {Past(action)}.");

        static string Past(string action) => action switch { "retry" => "retried", "cancel" => "cancelled", _ => "deleted" };
    }

    private static async Task<IResult> BulkAsync(HttpContext context, QueuesAdmin admin, CancellationToken cancellationToken)
    {
        var (action, text, filter) = await ReadBulkAsync(context, cancellationToken).ConfigureAwait(false);
        var count = action switch
        {
            BulkAction.Retry => await admin.RetryJobsAsync(filter, null, cancellationToken).ConfigureAwait(false),
            BulkAction.Cancel => await admin.CancelJobsAsync(filter, "cancelled", null, cancellationToken).ConfigureAwait(false),
            _ => await admin.DeleteJobsAsync(filter, null, cancellationToken).ConfigureAwait(false),
        };
        return TypedResults.Json(new ActionResultDto(true, count, $"{text}: {count} job(s)."), DashboardJson.Default.ActionResultDto);
    }

    private static async Task<IResult> BulkCountAsync(HttpContext context, QueuesAdmin admin, CancellationToken cancellationToken)
    {
        var (action, text, filter) = await ReadBulkAsync(context, cancellationToken).ConfigureAwait(false);
        var count = await admin.CountJobsAsync(filter, action, cancellationToken).ConfigureAwait(false);
        return TypedResults.Json(new BulkCountDto(text, count), DashboardJson.Default.BulkCountDto);
    }

    /// <summary>
    /// The body of a bulk action or its count: <c>ids</c> (a selection), a non-empty <c>filter</c>, or <c>all: true</c>.
    /// An empty filter is refused: it once stood for "everything" when the page had dropped the id it filtered by
    /// (issue 21), so everything has to be asked for by name.
    /// </summary>
    private static async Task<(BulkAction Action, string Text, JobFilter Filter)> ReadBulkAsync(HttpContext context, CancellationToken cancellationToken)
    {
        BulkRequestDto? request;
        try
        {
            request = await JsonSerializer.DeserializeAsync(context.Request.Body, DashboardJson.Default.BulkRequestDto, cancellationToken).ConfigureAwait(false);
        }
        catch (JsonException exception)
        {
            throw new BadRequestException("The request body is not valid JSON for a bulk action: " + exception.Message);
        }

        if (request is null)
        {
            throw new BadRequestException("Send a JSON object with action and one of ids, filter or all.");
        }

        var action = request.Action switch
        {
            "retry" => BulkAction.Retry,
            "cancel" => BulkAction.Cancel,
            "delete" => BulkAction.Delete,
            _ => throw new BadRequestException($"Unknown action '{request.Action}': use retry, cancel or delete."),
        };
        var all = request.All == true;
        if (request.Ids is { } ids)
        {
            return request.Filter is null && !all
                ? (action, request.Action!, new JobFilter { Ids = [.. ids.Select(static i => new JobId(i))] })
                : throw new BadRequestException("Send either ids (a selection), filter (everything it matches) or all: true, not more than one.");
        }

        var f = request.Filter;
        var filter = f is null ? null : new JobFilter
        {
            Queue = Text(f.Queue, "filter.queue"),
            Name = Text(f.Name, "filter.name"),
            States = f.States is { Length: > 0 } states ? [.. states.Select(ParseState).Distinct()] : null,
            CreatedFrom = f.From,
            CreatedBefore = f.To,
            FinishedFrom = f.FinishedFrom,
            FinishedBefore = f.FinishedTo,
            Ids = f.Id is { } id ? [new JobId(id)] : null,
        };
        var empty = filter is null || (filter.Queue is null && filter.Name is null && filter.States is null && filter.CreatedFrom is null
            && filter.CreatedBefore is null && filter.Ids is null && filter.FinishedFrom is null && filter.FinishedBefore is null);
        return (empty, all) switch
        {
            (false, false) => (action, request.Action!, filter!),
            (true, true) => (action, request.Action!, JobFilter.All),
            (true, false) => throw new BadRequestException(
                "The filter is empty, so it would match every job in the schema. Set a filter, or send all: true to act on every job deliberately."),
            (false, true) => throw new BadRequestException("all: true acts on every job; send it without a filter, or drop it to act on what the filter matches."),
        };
    }

    private static async Task<IResult> QueueActionAsync(HttpContext context, QueuesAdmin admin, bool pause, CancellationToken cancellationToken)
    {
        QueueActionDto? request;
        try
        {
            request = await JsonSerializer.DeserializeAsync(context.Request.Body, DashboardJson.Default.QueueActionDto, cancellationToken).ConfigureAwait(false);
        }
        catch (JsonException exception)
        {
            throw new BadRequestException("The request body is not valid JSON for a queue action: " + exception.Message);
        }

        var queue = request?.Queue is { Length: > 0 } name ? name : throw new BadRequestException("Send the queue in the body: {\"queue\": \"name\"}.");
        var changed = pause
            ? await admin.PauseQueueAsync(queue, request.Force == true, cancellationToken).ConfigureAwait(false)
            : await admin.ResumeQueueAsync(queue, cancellationToken).ConfigureAwait(false);
        var message = changed ? $"Queue '{queue}' {(pause ? "paused" : "resumed")}." : $"Queue '{queue}' was already {(pause ? "paused" : "running")}.";
        return TypedResults.Json(new ActionResultDto(true, changed ? 1 : 0, message), DashboardJson.Default.ActionResultDto);
    }

    /// <summary>What the overview must not let an operator miss: no maintenance leader, lost nodes, stale running jobs.</summary>
    private static List<string> Warnings(IReadOnlyList<NodeInfo> nodes, TimeSpan rescueAfter)
    {
        var warnings = new List<string>();
        if (!nodes.Any(static n => n.IsLeader))
        {
            warnings.Add("No process holds the maintenance lease: scheduled and retryable jobs are not made available, stale running jobs are not rescued " +
                "and old jobs are not deleted. Run a worker (QueuesOptions.ProcessJobs = true) against this schema.");
        }

        var seconds = (long)rescueAfter.TotalSeconds;
        foreach (var node in nodes.Where(static n => !n.IsAlive && n.RunningJobs > 0))
        {
            warnings.Add($"Node '{node.Name}' has not been seen for over {seconds} s and holds {node.RunningJobs} running job(s): it is lost, and its jobs are rescued once a leader runs.");
        }

        var stale = nodes.Where(static n => n.IsAlive).Sum(static n => n.StaleJobs);
        if (stale > 0)
        {
            warnings.Add($"{stale} running job(s) on live nodes have not heartbeated for over {seconds} s (filter the jobs by state running to see them).");
        }

        return warnings;
    }

    private static IResult Error(int status, string message)
        => TypedResults.Json(new ErrorResultDto(message), DashboardJson.Default.ErrorResultDto, statusCode: status);

    private static QueueDto ToDto(QueueSummary q) => new(q.Queue, q.Count(JobState.Scheduled), q.Count(JobState.Available), q.Count(JobState.Running),
        q.Count(JobState.Retryable), q.OldestAvailableRunAt, q.IsPaused);

    private static JobRowDto ToRow(JobInfo job) => new(
        job.Id.Value, job.Name, job.Queue, StateText(job.State), job.Attempt, job.MaxAttempts, job.Priority,
        job.RunAt, job.CreatedAt, job.AttemptedAt, job.FinalizedAt, job.Errors.Count == 0 ? null : job.Errors[^1].Message,
        job.HeartbeatAt, job.AttemptedBy, job.IsStale);

    private static List<TimelineDto> Timeline(JobInfo job)
    {
        var events = new List<TimelineDto> { new(job.CreatedAt, "created") };
        if (job.RunAt > job.CreatedAt.AddSeconds(1) && job.Errors.Count == 0)
        {
            events.Add(new(job.RunAt, job.RunAt > DateTimeOffset.UtcNow ? "scheduled to run" : "due"));
        }

        foreach (var error in job.Errors)
        {
            events.Add(new(error.At, $"attempt {error.Attempt}: {error.Kind}{(error.Type is null ? "" : " (" + error.Type + ")")}"));
        }

        if (job.AttemptedAt is { } attempted)
        {
            events.Add(new(attempted, $"attempt {job.Attempt} started"));
        }

        if (job.FinalizedAt is { } finalized)
        {
            events.Add(new(finalized, StateText(job.State)));
        }

        events.Sort(static (a, b) => a.At.CompareTo(b.At));
        return events;
    }

    private static string Pretty(string json)
    {
        try
        {
            using var document = JsonDocument.Parse(json);
            using var buffer = new MemoryStream();
            using (var writer = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true }))
            {
                document.WriteTo(writer);
            }

            return Encoding.UTF8.GetString(buffer.ToArray());
        }
        catch (JsonException)
        {
            return json;
        }
    }

    private static string StateText(JobState state) => state.ToString().ToLowerInvariant();

    private static JobState ParseState(string text)
        => Enum.TryParse<JobState>(text, ignoreCase: true, out var state) && Enum.IsDefined(state) && !char.IsDigit(text[0])
            ? state
            : throw new BadRequestException($"Unknown state '{text}': use {Describe(Enum.GetValues<JobState>())}.");

    /// <summary>"scheduled, available, running or retryable".</summary>
    private static string Describe(IEnumerable<JobState> states)
    {
        var names = states.Select(StateText).ToArray();
        return names.Length == 1 ? names[0] : $"{string.Join(", ", names[..^1])} or {names[^1]}";
    }

    private static List<JobState>? States(StringValues values)
    {
        var states = values.SelectMany(static v => (v ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            .Select(ParseState).Distinct().ToList();
        return states.Count == 0 ? null : states;
    }

    private static string? Blank(string? value) => string.IsNullOrWhiteSpace(value) ? null : value.Trim();

    /// <summary>A text filter, trimmed, null when blank; a NUL (which PostgreSQL refuses as text) is a bad request, not a 500.</summary>
    private static string? Text(string? value, string name)
        => Blank(value) is { } text && text.Contains('\0', StringComparison.Ordinal)
            ? throw new BadRequestException($"{name} holds a NUL character, which no queue or job name can hold; remove it.")
            : Blank(value);

    private static string? OptionalText(IQueryCollection query, string name) => Text(query[name].ToString(), name);

    private static long? OptionalLong(IQueryCollection query, string name)
        => OptionalText(query, name) is { } text
            ? long.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var value) ? value : throw new BadRequestException($"{name} must be a whole number; it was '{text}'.")
            : null;

    private static DateTimeOffset? OptionalTime(IQueryCollection query, string name)
        => OptionalText(query, name) is { } text
            ? DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var value)
                ? value
                : throw new BadRequestException($"{name} must be a date and time (ISO 8601); it was '{text}'.")
            : null;

    private static long RouteLong(HttpContext context, string name)
        => long.Parse((string)context.Request.RouteValues[name]!, CultureInfo.InvariantCulture);

    /// <summary>A request the dashboard cannot serve as sent; answered 400 with the message.</summary>
    private sealed class BadRequestException(string message) : Exception(message);
}

/// <summary>The embedded page and assets (<c>Assets/*</c>).</summary>
internal static class Assets
{
    public static byte[] Bytes(string name)
    {
        using var stream = typeof(Assets).Assembly.GetManifestResourceStream("Queues.Dashboard.Assets." + name)
            ?? throw new InvalidOperationException($"The dashboard asset '{name}' is missing from the Queues.Dashboard assembly.");
        using var copy = new MemoryStream();
        stream.CopyTo(copy);
        return copy.ToArray();
    }

    public static string Text(string name) => Encoding.UTF8.GetString(Bytes(name));
}
