using Fleetward.Core.DeviceApi;
using Fleetward.Core.Devices;
using Fleetward.Core.Policy;
using Fleetward.Core.Ports;
using Fleetward.Server.Rollouts;

namespace Fleetward.Server.Tests.Rollouts;

/// <summary>
/// Devices that check in through the real <see cref="CheckInService"/> and store and act on the answers at once:
/// an install either succeeds or, for devices marked bad, falls back to the old slot (A/B fallback); a roll-back order
/// returns the device to its previous version. Each device remembers what it must report next.
/// </summary>
public sealed class SimulatedFleet
{
    public const string OldVersion = "1.0.0";

    private readonly IFleetStore _store;
    private readonly ManualClock _clock;
    private readonly CheckInService _checkIn;
    private readonly Dictionary<string, SimulatedDevice> _devices = new(StringComparer.Ordinal);

    public SimulatedFleet(IFleetStore store, ManualClock clock)
    {
        _store = store;
        _clock = clock;
        _checkIn = new CheckInService(store, clock, new UpdateGatePolicy());
    }

    public IReadOnlyDictionary<string, SimulatedDevice> Devices => _devices;

    public async Task RegisterAsync(int count, string model = "mower", DeviceLifecycleState state = DeviceLifecycleState.Active)
    {
        await using var work = await _store.BeginAsync();
        for (var i = 0; i < count; i++)
        {
            var id = $"{model}-{_devices.Count:D4}";
            var device = new Device(id, model, null, ["eu"], state, _clock.GetUtcNow(), null, null);
            await work.Devices.InsertAsync(device);
            _devices[id] = new SimulatedDevice(device);
        }
        await work.CommitAsync();
    }

    public async Task SetStateAsync(string id, DeviceLifecycleState state)
    {
        await using var work = await _store.BeginAsync();
        await work.Devices.SetStateAsync(id, state);
        await work.CommitAsync();
        _devices[id].Device = _devices[id].Device with { State = state };
    }

    /// <summary>Every device that is not silent checks in once, in id order.</summary>
    public async Task CheckInAllAsync()
    {
        foreach (var device in _devices.Values.Where(d => !d.Silent))
        {
            await CheckInAsync(device);
        }
    }

    public async Task<InstructionView> CheckInAsync(SimulatedDevice device)
    {
        var credential = new DeviceCredential("01" + device.Device.Id.GetHashCode().ToString("x8"), device.Device.Id,
            _clock.GetUtcNow().AddDays(-1), _clock.GetUtcNow().AddDays(365), device.Revoked);
        var answer = await _checkIn.CheckInAsync(device.Device, credential, device.Report(), default);
        device.Act(answer.Instruction);
        return answer.Instruction;
    }
}

/// <summary>One simulated device: what it runs and the assignment report it sends next.</summary>
public sealed class SimulatedDevice(Device device)
{
    public Device Device { get; set; } = device;

    public string Version { get; private set; } = SimulatedFleet.OldVersion;

    public long SecurityVersion { get; private set; } = 1;

    public string Slot { get; private set; } = "a";

    /// <summary>Installs of this device fail their health check, so the boot counter sends it back to the old slot.</summary>
    public bool Bad { get; set; }

    public bool Revoked { get; set; }

    /// <summary>Does not call in at all (powered off, out of coverage).</summary>
    public bool Silent { get; set; }

    /// <summary>Holds an install instead of acting on it (for tests that look at in-progress devices).</summary>
    public bool Stalls { get; set; }

    public InstructionView? LastInstruction { get; private set; }

    /// <summary>How many install instructions for a new assignment or attempt the device received.</summary>
    public int InstallOrders { get; private set; }

    /// <summary>How many times the device wrote a release to its inactive slot.</summary>
    public int Installs { get; private set; }

    private AssignmentReport? _next;
    private (string RolloutId, int? Attempt)? _ordered;
    private (string RolloutId, int? Attempt)? _installing;

    public CheckInReport Report() => new(new InstalledSoftware("fw", Version, SecurityVersion, Slot), Bad ? "degraded" : "healthy", _next);

    public void Act(InstructionView instruction)
    {
        LastInstruction = instruction;
        switch (instruction.Kind)
        {
            case "install":
                var order = (instruction.RolloutId!, instruction.Attempt);
                if (_ordered != order)
                {
                    _ordered = order;
                    InstallOrders++;
                }
                if (Stalls)
                {
                    _next = new AssignmentReport(instruction.RolloutId!, "downloading", instruction.Attempt);
                    return;
                }
                // Protocol: the device reports a phase before entering it and goes on only while the answer is still install,
                // so an abort or a gate refusal reaches it before it writes the slot.
                if (_installing != order)
                {
                    _installing = order;
                    _next = new AssignmentReport(instruction.RolloutId!, "installing", instruction.Attempt);
                    return;
                }
                Installs++;
                if (Bad)
                {
                    _next = new AssignmentReport(instruction.RolloutId!, "rolled-back", instruction.Attempt, "health check failed after 3 boots");
                    return;
                }
                Version = instruction.Target!.Version;
                SecurityVersion = instruction.Target.SecurityVersion;
                Slot = Slot == "a" ? "b" : "a";
                _next = new AssignmentReport(instruction.RolloutId!, "succeeded", instruction.Attempt);
                return;
            case "roll-back":
                Version = instruction.RollbackToVersion!;
                Slot = Slot == "a" ? "b" : "a";
                _next = new AssignmentReport(instruction.RolloutId!, "rolled-back");
                return;
            default:
                _next = null;
                return;
        }
    }
}
