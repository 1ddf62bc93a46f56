namespace Queues.ReliabilityTests.Infrastructure;

/// <summary>A fixed number of worker slots on one schema; a killed slot is restarted as a new process with a new name.</summary>
public sealed class WorkerGroup : IAsyncDisposable
{
    private readonly ReliabilitySchema _schema;
    private readonly IReadOnlyDictionary<string, string>? _settings;
    private readonly WorkerProcess?[] _slots;
    private readonly List<WorkerProcess> _all = [];
    private readonly string _prefix;

    public WorkerGroup(ReliabilitySchema schema, int size, IReadOnlyDictionary<string, string>? settings = null, string prefix = "w")
    {
        _schema = schema;
        _settings = settings;
        _slots = new WorkerProcess?[size];
        _prefix = prefix;
        LogDirectory = Figures.LogDirectory(schema.Name);
    }

    /// <summary>Where each worker process writes <c>{name}.log</c>.</summary>
    public string LogDirectory { get; }

    /// <summary>Every process started, in order.</summary>
    public IReadOnlyList<WorkerProcess> All => _all;

    public IReadOnlyList<WorkerProcess> Killed => _all.Where(static w => w.KilledAt is not null).ToList();

    public WorkerProcess this[int slot] => _slots[slot] ?? throw new InvalidOperationException($"Slot {slot} has no worker.");

    public int Size => _slots.Length;

    public WorkerProcess Start(int slot)
    {
        var worker = WorkerProcess.Start(_schema.Server.Postgres.ConnectionString, _schema.Name, $"{_prefix}{slot}-{_all.Count}", LogDirectory, _settings);
        _slots[slot] = worker;
        _all.Add(worker);
        return worker;
    }

    public void StartAll()
    {
        for (var slot = 0; slot < _slots.Length; slot++)
        {
            Start(slot);
        }
    }

    /// <summary>SIGKILLs the worker in <paramref name="slot"/> and starts a new one there.</summary>
    public async Task<WorkerProcess> KillAndRestartAsync(int slot)
    {
        await this[slot].KillAsync();
        return Start(slot);
    }

    /// <summary>SIGTERMs every running worker at once and returns their exit codes by name.</summary>
    public async Task<Dictionary<string, int>> StopAllAsync(TimeSpan timeout)
    {
        var running = _slots.OfType<WorkerProcess>().Where(static w => !w.HasExited).ToList();
        var codes = await Task.WhenAll(running.Select(w => w.StopAsync(timeout)));
        return running.Select(static w => w.Name).Zip(codes).ToDictionary(static p => p.First, static p => p.Second);
    }

    /// <summary>Every worker's log, for a failure message.</summary>
    public string Logs(int tailLines = 40) => string.Join("\n", _all.Select(w =>
        $"--- {w.Name} (pid {w.Pid}{(w.KilledAt is null ? "" : ", killed")}) ---\n" +
        string.Join("\n", w.ReadLog().Split('\n').TakeLast(tailLines))));

    public ValueTask DisposeAsync()
    {
        foreach (var worker in _all)
        {
            worker.EnsureGone();
        }

        return ValueTask.CompletedTask;
    }
}
