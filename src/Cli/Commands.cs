using System.CommandLine;
using System.Globalization;
using System.Text.Json;

namespace Queues.Cli;

/// <summary>One method per command: its arguments, then its body.</summary>
internal static class Commands
{
    public static IEnumerable<Command> All() => [Migrate(), Status(), List(), Show(), Failures(), Retry(), Cancel(), Purge(), Pause(true), Pause(false)];

    private static Command Migrate()
    {
        var script = new Option<bool>("--script") { Description = "Print the SQL that would be applied, for a DBA, instead of applying it." };
        var from = new Option<int?>("--from") { Description = "With --script: the version the schema is at (default: read from the database)." };
        var command = new Command("migrate", "Create the schema or bring it up to date (in one transaction).") { script, from };
        command.SetAction((result, ct) => Cli.RunAsync(result, ct, async context =>
        {
            if (result.GetValue(script))
            {
                var version = result.GetValue(from) ?? await context.Admin.GetSchemaVersionAsync(ct).ConfigureAwait(false);
                if (version < 0 || version > QueuesAdmin.LatestSchemaVersion)
                {
                    throw new UsageException($"--from must be between 0 and {QueuesAdmin.LatestSchemaVersion}; it was {version}.");
                }

                Console.Write(context.Admin.GetMigrationScript(version));
                return Cli.Ok;
            }

            var applied = await context.Client.MigrateAsync(ct).ConfigureAwait(false);
            var now = await context.Admin.GetSchemaVersionAsync(ct).ConfigureAwait(false);
            Report(context, new MigrateDto(context.Client.Schema, applied, now),
                applied == 0 ? $"Schema '{context.Client.Schema}' is up to date (version {now})." : $"Applied {applied} migration(s); schema '{context.Client.Schema}' is at version {now}.");
            return Cli.Ok;
        }));

        var to = new Option<int>("--to") { Description = "The version to end at; 0 removes every Queues table.", Required = true };
        var rollback = new Command("rollback", "Undo migrations down to --to, newest first, in one transaction (data they added is lost).") { to };
        rollback.SetAction((result, ct) => Cli.RunAsync(result, ct, async context =>
        {
            var target = result.GetValue(to);
            if (target < 0 || target > QueuesAdmin.LatestSchemaVersion)
            {
                throw new UsageException($"--to must be between 0 and {QueuesAdmin.LatestSchemaVersion}; it was {target}.");
            }

            var undone = await context.Admin.RollbackSchemaAsync(target, ct).ConfigureAwait(false);
            Report(context, new MigrateDto(context.Client.Schema, -undone, target),
                undone == 0 ? $"Schema '{context.Client.Schema}' is already at or below version {target}." : $"Rolled back {undone} migration(s); schema '{context.Client.Schema}' is at version {target}.");
            return Cli.Ok;
        }));
        command.Subcommands.Add(rollback);
        return command;
    }

    private static Command Status()
    {
        var command = new Command("status", "Jobs by queue and state, the oldest waiting job, the maintenance leader and the nodes alive.");
        command.SetAction((result, ct) => Cli.RunAsync(result, ct, async context =>
        {
            var admin = context.Admin;
            var version = await admin.GetSchemaVersionAsync(ct).ConfigureAwait(false);
            if (version == 0)
            {
                throw new InvalidOperationException($"Schema '{context.Client.Schema}' has not been migrated. Run 'queues migrate' first.");
            }

            var queues = await admin.GetQueueSummariesAsync(ct).ConfigureAwait(false);
            var finished = await admin.GetFinishedTotalsAsync(ct).ConfigureAwait(false);
            var oldestQueue = queues.Where(static q => q.OldestAvailableRunAt is not null).MinBy(static q => q.OldestAvailableRunAt);
            var oldest = oldestQueue is null ? null : await admin.GetOldestWaitingJobAsync(oldestQueue.Queue, ct).ConfigureAwait(false);
            var nodes = await admin.GetNodesAsync(ct).ConfigureAwait(false);
            var leader = nodes.FirstOrDefault(static n => n.IsLeader)?.Name;
            var warnings = Output.Warnings(nodes, admin.RescueAfter);
            if (context.Json)
            {
                Output.Json(new StatusDto(context.Client.Schema, version, QueuesAdmin.LatestSchemaVersion,
                    [.. queues.Select(static q => new QueueDto(q.Queue, q.Count(JobState.Scheduled), q.Count(JobState.Available), q.Count(JobState.Running),
                        q.Count(JobState.Retryable), q.OldestAvailableRunAt, q.IsPaused))],
                    [.. finished.Select(static f => new TotalDto(Output.State(f.State), f.Count, f.IsEstimate, f.IsLowerBound))],
                    oldest is null ? null : new WaitingDto(oldest.Id.Value, oldest.Name, oldest.Queue, oldest.RunAt),
                    leader,
                    [.. nodes.Select(static n => new NodeDto(n.Name, n.RunningJobs, n.LastHeartbeat, n.IsLeader, n.IsAlive, n.StaleJobs))], warnings), CliJson.Default.StatusDto);
                return Cli.Ok;
            }

            Console.WriteLine($"Schema '{context.Client.Schema}' at version {version} (this tool: {QueuesAdmin.LatestSchemaVersion}).");
            Console.WriteLine();
            Output.Table(["QUEUE", "AVAILABLE", "RUNNING", "SCHEDULED", "RETRYABLE", "OLDEST WAITING", "PAUSED"],
                queues.Select(static q => (IReadOnlyList<string>)[q.Queue, Cli.Format(q.Count(JobState.Available)), Cli.Format(q.Count(JobState.Running)),
                    Cli.Format(q.Count(JobState.Scheduled)), Cli.Format(q.Count(JobState.Retryable)), Output.Age(q.OldestAvailableRunAt), q.IsPaused ? "yes" : "no"]));
            Console.WriteLine();
            Output.Table(["FINISHED", "JOBS"], finished.Select(static f => (IReadOnlyList<string>)[Output.State(f.State), (f.IsEstimate ? "~" : f.IsLowerBound ? ">=" : "") + Cli.Format(f.Count)]));
            Console.WriteLine();
            Console.WriteLine(oldest is null ? "Oldest waiting: none." : $"Oldest waiting: job {oldest.Id} ({oldest.Name}, queue {oldest.Queue}) since {Output.Time(oldest.RunAt)} ({Output.Age(oldest.RunAt)}).");
            Console.WriteLine($"Leader: {Output.Safe(leader ?? "none")}");
            Console.WriteLine();
            if (nodes.Count == 0)
            {
                Console.WriteLine("Nodes: none seen.");
            }
            else
            {
                Output.Table(["NODE", "STATUS", "RUNNING", "STALE", "LAST SEEN", "ROLE"],
                    nodes.Select(static n => (IReadOnlyList<string>)[n.Name, n.IsAlive ? "alive" : "LOST", Cli.Format(n.RunningJobs), Cli.Format(n.StaleJobs),
                        Output.Age(n.LastHeartbeat), n.IsLeader ? "leader" : ""]));
            }

            foreach (var warning in warnings)
            {
                Console.Error.WriteLine("warning: " + warning);
            }
            return Cli.Ok;
        }));
        return command;
    }

    private static Command List()
    {
        var queue = new Option<string?>("--queue", "-q") { Description = "Only this queue." };
        var name = new Option<string?>("--name", "-n") { Description = "Only this job name." };
        var state = new Option<string[]>("--state", "-s") { Description = "Only these states (repeat or comma-separate).", AllowMultipleArgumentsPerToken = true };
        var from = new Option<string?>("--from") { Description = "Only jobs created at or after this time (ISO 8601) or this long ago (30m, 2h, 7d)." };
        var to = new Option<string?>("--to") { Description = "Only jobs created before this time (ISO 8601) or this long ago." };
        var finishedFrom = new Option<string?>("--finished-from") { Description = "Only jobs that finished (completed, cancelled, discarded) at or after this time or this long ago (15m)." };
        var finishedTo = new Option<string?>("--finished-to") { Description = "Only jobs that finished before this time or this long ago." };
        var before = new Option<long?>("--before") { Description = "The page cursor: only jobs with a smaller id (the 'next' of the previous page)." };
        var limit = new Option<int>("--limit") { Description = "Jobs per page, 1 to 1000.", DefaultValueFactory = static _ => 50 };
        var command = new Command("list", "List jobs newest first, one page at a time.") { queue, name, state, from, to, finishedFrom, finishedTo, before, limit };
        command.SetAction((result, ct) => Cli.RunAsync(result, ct, async context =>
        {
            var page = await context.Admin.ListJobsAsync(new JobFilter
            {
                Queue = result.GetValue(queue),
                Name = result.GetValue(name),
                States = States(result.GetValue(state)),
                CreatedFrom = Time(result.GetValue(from), "--from"),
                CreatedBefore = Time(result.GetValue(to), "--to"),
                FinishedFrom = Time(result.GetValue(finishedFrom), "--finished-from"),
                FinishedBefore = Time(result.GetValue(finishedTo), "--finished-to"),
            }, result.GetValue(before) is { } b ? new JobId(b) : null, result.GetValue(limit), ct).ConfigureAwait(false);
            if (context.Json)
            {
                Output.Json(new JobPageDto([.. page.Jobs.Select(Output.Row)], page.NextCursor?.Value), CliJson.Default.JobPageDto);
                return Cli.Ok;
            }

            Output.Table(["ID", "NAME", "QUEUE", "STATE", "ATTEMPT", "CREATED", "RUN AT", "LAST ERROR"],
                page.Jobs.Select(static j => (IReadOnlyList<string>)[j.Id.ToString(), j.Name, j.Queue, Output.StateOf(j), $"{j.Attempt}/{j.MaxAttempts}",
                    Output.Time(j.CreatedAt), Output.Time(j.RunAt), Truncate(j.Errors.Count == 0 ? "" : j.Errors[^1].Message, 60)]));
            if (page.NextCursor is { } next)
            {
                Console.WriteLine($"More: queues list --before {next} (same filters)");
            }

            return Cli.Ok;
        }));
        return command;
    }

    private static Command Show()
    {
        var id = new Argument<long>("id") { Description = "The job's id." };
        var command = new Command("show", "Show one job: its fields, payload and every failed attempt with its error.") { id };
        command.SetAction((result, ct) => Cli.RunAsync(result, ct, async context =>
        {
            var job = await context.Admin.GetJobAsync(new JobId(result.GetValue(id)), ct).ConfigureAwait(false)
                ?? throw new InvalidOperationException($"There is no job {result.GetValue(id)}.");
            if (context.Json)
            {
                using var payload = JsonDocument.Parse(job.Payload);
                Output.Json(new JobDetailDto(Output.Row(job), payload.RootElement.Clone(),
                    [.. job.Errors.Select(static e => new ErrorDto(e.Attempt, e.At, e.Kind, e.Type, e.Message, e.Trace))]), CliJson.Default.JobDetailDto);
                return Cli.Ok;
            }

            Console.WriteLine($"Job {job.Id}: {Output.Safe(job.Name)}");
            Output.Table(["FIELD", "VALUE"], [
                ["state", Output.StateOf(job)], ["queue", job.Queue], ["attempt", $"{job.Attempt} of {job.MaxAttempts}"],
                ["priority", job.Priority.ToString(CultureInfo.InvariantCulture)], ["created", Output.Time(job.CreatedAt)], ["run at", Output.Time(job.RunAt)],
                ["last attempt", Output.Time(job.AttemptedAt)], ["finished", Output.Time(job.FinalizedAt)],
                ["node", job.AttemptedBy ?? "-"], ["heartbeat", job.HeartbeatAt is { } beat ? $"{Output.Time(beat)} ({Output.Age(beat)} ago)" : "-"]]);
            Console.WriteLine();
            Console.WriteLine("Payload:");
            Console.WriteLine(Output.Payload(job.Payload));

            Console.WriteLine();
            Console.WriteLine(job.Errors.Count == 0 ? "No failed attempts." : $"Failed attempts ({job.Errors.Count}):");
            foreach (var error in job.Errors)
            {
                Console.WriteLine($"- attempt {error.Attempt} at {Output.Time(error.At)}: {Output.Safe(error.Kind)}{(error.Type is null ? "" : " " + Output.Safe(error.Type))}");
                Output.Lines("  ", error.Message);
                if (error.Trace is { Length: > 0 } trace)
                {
                    Output.Lines("    ", trace);
                }
            }

            return Cli.Ok;
        }));
        return command;
    }

    private static Command Failures()
    {
        var since = new Option<string>("--since") { Description = "The window: failures since this long ago (15m, 2h, 1d) or this time (ISO 8601).", DefaultValueFactory = static _ => "15m" };
        var queue = new Option<string?>("--queue", "-q") { Description = "Only this queue." };
        var command = new Command("failures",
            "Failures grouped by reason over a window: discarded jobs that finished in it and retryable jobs that last failed in it, "
            + "per queue, job, error kind, type and message (numbers and ids as #), with exact counts, most frequent first.") { since, queue };
        command.SetAction((result, ct) => Cli.RunAsync(result, ct, async context =>
        {
            var from = Time(result.GetValue(since), "--since") ?? DateTimeOffset.UtcNow.AddMinutes(-15);
            var failures = await context.Admin.GetFailureGroupsAsync(from, null, result.GetValue(queue), ct).ConfigureAwait(false);
            if (context.Json)
            {
                Output.Json(new FailuresDto(failures.From, failures.To, failures.IsTruncated,
                    [.. failures.Groups.Select(static g => new FailureGroupDto(g.Queue, g.Name, g.Kind, g.Type, g.Message, g.Discarded, g.Retryable, g.FirstSeen, g.LastSeen))]),
                    CliJson.Default.FailuresDto);
                return Cli.Ok;
            }

            Console.WriteLine($"Failures from {Output.Time(failures.From)} to {Output.Time(failures.To)}:");
            if (failures.Groups.Count == 0)
            {
                Console.WriteLine("None: no job was discarded or failed into retrying in this window.");
                return Cli.Ok;
            }

            Output.Table(["FAILURES", "DISCARDED", "RETRYING", "QUEUE", "JOB", "KIND", "REASON", "FIRST", "LAST"],
                failures.Groups.Select(static g => (IReadOnlyList<string>)[Cli.Format(g.Discarded + g.Retryable), Cli.Format(g.Discarded), Cli.Format(g.Retryable),
                    g.Queue, g.Name, g.Kind, Truncate((g.Type is null ? "" : g.Type + ": ") + g.Message, 80), Output.Age(g.FirstSeen), Output.Age(g.LastSeen)]));
            if (failures.IsTruncated)
            {
                Console.Error.WriteLine($"warning: the window holds more than {Cli.Format(QueuesAdmin.MaxFailureRows)} failures of a state; the counts cover the newest that many.");
            }

            Console.WriteLine($"Jobs of a reason: queues list --state discarded --queue <queue> --name <job> --finished-from {result.GetValue(since)}");
            return Cli.Ok;
        }));
        return command;
    }

    private static Command Retry()
    {
        var id = new Argument<long?>("id") { Description = "The job to retry (discarded or cancelled).", Arity = ArgumentArity.ZeroOrOne };
        var discarded = new Option<bool>("--discarded") { Description = "Retry every discarded job (with --queue: of that queue), in batches." };
        var queue = new Option<string?>("--queue", "-q") { Description = "With --discarded: only this queue." };
        var yes = Yes();
        var command = new Command("retry", "Make a discarded or cancelled job run again: one by id, or every discarded one.") { id, discarded, queue, yes };
        command.SetAction((result, ct) => Cli.RunAsync(result, ct, async context =>
        {
            var one = result.GetValue(id);
            if (one is null == !result.GetValue(discarded))
            {
                throw new UsageException("Give a job id, or --discarded (optionally with --queue), not both.");
            }

            if (one is { } jobId)
            {
                if (!await context.Admin.RetryJobAsync(new JobId(jobId), ct).ConfigureAwait(false))
                {
                    var job = await context.Admin.GetJobAsync(new JobId(jobId), ct).ConfigureAwait(false);
                    throw new InvalidOperationException(job is null
                        ? $"There is no job {jobId}."
                        : $"Job {jobId} is {Output.State(job.State)}: only a discarded or cancelled job can be retried.");
                }

                Report(context, new ResultDto("retry", 1, $"Job {jobId} is available again."));
                return Cli.Ok;
            }

            var filter = new JobFilter { States = [JobState.Discarded], Queue = result.GetValue(queue) };
            var matching = await context.Admin.CountJobsAsync(filter, BulkAction.Retry, ct).ConfigureAwait(false);
            var scope = filter.Queue is { } q ? $" in queue '{q}'" : "";
            if (!Confirm(matching, $"Retry {Cli.Format(matching)} discarded job(s){scope}?", result.GetValue(yes)))
            {
                return Cli.Failure;
            }

            var progress = new Progress("Retried");
            var count = matching == 0 ? 0 : await context.Admin.RetryJobsAsync(filter, progress, ct).ConfigureAwait(false);
            progress.Done();
            Report(context, new ResultDto("retry", count, $"Retried {Cli.Format(count)} discarded job(s)."));
            return Cli.Ok;
        }));
        return command;
    }

    private static Command Cancel()
    {
        var id = new Argument<long>("id") { Description = "The job to cancel (not finished yet)." };
        var reason = new Option<string>("--reason") { Description = "Recorded on the job.", DefaultValueFactory = static _ => "cancelled" };
        var command = new Command("cancel", "Cancel a job that has not finished; a running one is told to stop.") { id, reason };
        command.SetAction((result, ct) => Cli.RunAsync(result, ct, async context =>
        {
            var jobId = new JobId(result.GetValue(id));
            if (!await context.Admin.CancelJobAsync(jobId, result.GetValue(reason)!, ct).ConfigureAwait(false))
            {
                var job = await context.Admin.GetJobAsync(jobId, ct).ConfigureAwait(false);
                throw new InvalidOperationException(job is null ? $"There is no job {jobId}." : $"Job {jobId} is {Output.State(job.State)}: it has already finished.");
            }

            Report(context, new ResultDto("cancel", 1, $"Job {jobId} is cancelled."));
            return Cli.Ok;
        }));
        return command;
    }

    private static Command Purge()
    {
        var olderThan = new Option<string>("--older-than") { Description = "Delete finished jobs that finished longer ago than this (30m, 12h, 7d, or d.hh:mm:ss).", Required = true };
        var yes = Yes();
        var command = new Command("purge", "Delete completed, cancelled and discarded jobs past an age, in batches.") { olderThan, yes };
        command.SetAction((result, ct) => Cli.RunAsync(result, ct, async context =>
        {
            var age = Duration(result.GetValue(olderThan)!, "--older-than");
            var cutoff = DateTimeOffset.UtcNow - age;
            var matching = await context.Admin.CountFinishedJobsAsync(cutoff, ct).ConfigureAwait(false);
            if (!Confirm(matching, $"Delete {Cli.Format(matching)} finished job(s) older than {result.GetValue(olderThan)}?", result.GetValue(yes)))
            {
                return Cli.Failure;
            }

            var progress = new Progress("Deleted");
            var count = matching == 0 ? 0 : await context.Admin.DeleteFinishedJobsAsync(cutoff, progress, 10_000, ct).ConfigureAwait(false);
            progress.Done();
            Report(context, new ResultDto("purge", count, $"Deleted {Cli.Format(count)} finished job(s) older than {result.GetValue(olderThan)}."));
            return Cli.Ok;
        }));
        return command;
    }

    private static Command Pause(bool pause)
    {
        var queue = new Argument<string>("queue") { Description = "The queue." };
        var force = new Option<bool>("--force")
        {
            Description = "Pause a queue that is not known yet (no job that is not completed, no worker serving it, not paused), for example before its first job.",
        };
        var command = new Command(pause ? "pause" : "resume", pause
            ? "Pause a queue on every node: workers stop claiming from it, enqueues go on. An unknown queue (a typo) is refused unless --force."
            : "Resume a paused queue on every node. An unknown queue (a typo) is refused.") { queue };
        if (pause)
        {
            command.Options.Add(force);
        }

        command.SetAction((result, ct) => Cli.RunAsync(result, ct, async context =>
        {
            var name = result.GetValue(queue)!;
            var changed = pause
                ? await context.Admin.PauseQueueAsync(name, result.GetValue(force), ct).ConfigureAwait(false)
                : await context.Admin.ResumeQueueAsync(name, ct).ConfigureAwait(false);
            Report(context, new ResultDto(pause ? "pause" : "resume", changed ? 1 : 0,
                changed ? $"Queue '{name}' is {(pause ? "paused" : "resumed")}." : $"Queue '{name}' was already {(pause ? "paused" : "running")}."));
            return Cli.Ok;
        }));
        return command;
    }

    private static Option<bool> Yes() => new("--yes", "-y")
    {
        Description = "Act without asking. Required when the input is not a terminal (a script, CI): the count is printed, nothing is asked.",
    };

    /// <summary>
    /// States how many jobs a bulk command will touch (on stderr, so stdout stays the result), then asks on a terminal;
    /// without one (input redirected, or CI set) only <c>--yes</c> goes ahead. False when the operator says no.
    /// Nothing to do (<paramref name="count"/> 0) needs no confirmation.
    /// </summary>
    private static bool Confirm(long count, string question, bool yes)
    {
        Console.Error.WriteLine(question);
        if (yes || count == 0)
        {
            return true;
        }

        if (Console.IsInputRedirected || !string.IsNullOrEmpty(Environment.GetEnvironmentVariable("CI")))
        {
            throw new UsageException($"Not confirmed: the input is not a terminal, so nothing is asked. Pass --yes to act on these {Cli.Format(count)} job(s).");
        }

        Console.Error.Write("Proceed? [y/N] ");
        var answer = Console.ReadLine()?.Trim();
        if (string.Equals(answer, "y", StringComparison.OrdinalIgnoreCase) || string.Equals(answer, "yes", StringComparison.OrdinalIgnoreCase))
        {
            return true;
        }

        Console.Error.WriteLine("Nothing was done.");
        return false;
    }

    private static void Report(CommandContext context, ResultDto result)
    {
        if (context.Json)
        {
            Output.Json(result, CliJson.Default.ResultDto);
        }
        else
        {
            Console.WriteLine(result.Message);
        }
    }

    private static void Report(CommandContext context, MigrateDto result, string message)
    {
        if (context.Json)
        {
            Output.Json(result, CliJson.Default.MigrateDto);
        }
        else
        {
            Console.WriteLine(message);
        }
    }

    private static List<JobState>? States(string[]? values)
    {
        if (values is null)
        {
            return null;
        }

        var states = new List<JobState>();
        foreach (var text in values.SelectMany(static v => v.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)))
        {
            if (!Enum.TryParse<JobState>(text, ignoreCase: true, out var state) || char.IsDigit(text[0]))
            {
                var names = Enum.GetValues<JobState>().Select(static s => s.ToString().ToLowerInvariant()).ToArray();
                throw new UsageException($"Unknown state '{text}': use {string.Join(", ", names[..^1])} or {names[^1]}.");
            }

            states.Add(state);
        }

        return states.Count == 0 ? null : states;
    }

    /// <summary>A duration: <c>90s</c>, <c>30m</c>, <c>12h</c>, <c>7d</c>, <c>2w</c>, or a TimeSpan (<c>1.12:00:00</c>).</summary>
    internal static TimeSpan Duration(string text, string option)
    {
        text = text.Trim();
        if (text.Length >= 2 && double.TryParse(text[..^1], NumberStyles.Float, CultureInfo.InvariantCulture, out var amount) && amount >= 0)
        {
            TimeSpan? value = char.ToLowerInvariant(text[^1]) switch
            {
                's' => TimeSpan.FromSeconds(amount),
                'm' => TimeSpan.FromMinutes(amount),
                'h' => TimeSpan.FromHours(amount),
                'd' => TimeSpan.FromDays(amount),
                'w' => TimeSpan.FromDays(7 * amount),
                _ => null,
            };
            if (value is { } v)
            {
                return v;
            }
        }

        if (TimeSpan.TryParse(text, CultureInfo.InvariantCulture, out var span) && span >= TimeSpan.Zero)
        {
            return span;
        }

        throw new UsageException($"{option}: '{text}' is not a duration; use for example 90s, 30m, 12h, 7d, 2w or 1.12:00:00.");
    }

    private static DateTimeOffset? Time(string? text, string option)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            return null;
        }

        if (DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var time))
        {
            return time;
        }

        try
        {
            return DateTimeOffset.UtcNow - Duration(text, option);
        }
        catch (UsageException)
        {
            throw new UsageException($"{option}: '{text}' is neither a time (ISO 8601) nor a duration (30m, 2h, 7d).");
        }
    }

    private static string Truncate(string text, int length)
    {
        var line = text.ReplaceLineEndings(" ");
        return line.Length <= length ? line : line[..(length - 3)] + "...";
    }
}

