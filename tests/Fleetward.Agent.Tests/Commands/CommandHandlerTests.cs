using System.Security.Cryptography;
using Fleetward.Agent.Commands;
using Fleetward.Agent.Tests.Slots;
using Fleetward.Trust.Commands;

namespace Fleetward.Agent.Tests.Commands;

public sealed class CommandHandlerTests : IDisposable
{
    private static readonly DateTimeOffset Now = new(2026, 11, 21, 9, 0, 0, TimeSpan.Zero);
    private readonly TemporaryDirectory directory = new();
    private readonly ECDsa serverKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
    private readonly RecordingResponder remote = new();
    private readonly FixedClock clock = new(Now);

    public CommandHandlerTests()
    {
        Directory.CreateDirectory(directory.Sub("keys/tls"));
        File.WriteAllText(directory.Sub("keys/device.key"), "operational private key");
        File.WriteAllText(directory.Sub("keys/tls/client.key"), "tls private key");
        Directory.CreateDirectory(directory.Sub("factory"));
        File.WriteAllText(directory.Sub("factory/idevid.key"), "factory identity");
    }

    public void Dispose()
    {
        serverKey.Dispose();
        directory.Dispose();
    }

    private IsolationFlag Isolation => new(directory.Sub("isolated"));

    private CommandHandler Handler() => new(
        new CommandVerifier([serverKey]),
        "robot-7",
        new FileCommandNonceStore(directory.Sub("nonces")),
        clock,
        new CommandResponders(Isolation, new KeyZeroizer(directory.Sub("keys")), remote, remote, remote));

    private SignedCommand Signed(CommandType type, string device = "robot-7", ECDsa? key = null, Dictionary<string, string>? parameters = null) =>
        new CommandSigner(key ?? serverKey).Sign(DeviceCommand.Create(type, device, Now.AddSeconds(-30), TimeSpan.FromMinutes(10), parameters));

    [Fact]
    public async Task Isolate_sets_the_local_flag_and_release_clears_it()
    {
        var outcome = await Handler().HandleAsync(Signed(CommandType.Isolate, parameters: new() { ["reason"] = "telnet scan" }), default);
        Assert.Equal(CommandOutcomeKind.Executed, outcome.Kind);
        Assert.Equal("isolate", outcome.Type);
        Assert.True(Isolation.IsIsolated);
        Assert.Equal("telnet scan", Isolation.Reason);

        await Handler().HandleAsync(Signed(CommandType.Release), default);
        Assert.False(Isolation.IsIsolated);
    }

    [Fact]
    public async Task Zeroize_destroys_the_agent_keys_and_keeps_the_factory_identity()
    {
        var outcome = await Handler().HandleAsync(Signed(CommandType.Zeroize), default);

        Assert.Equal(new CommandOutcome(CommandOutcomeKind.Executed, "zeroize", outcome.Nonce, null, "2 key files destroyed"), outcome);
        Assert.Empty(Directory.EnumerateFiles(directory.Sub("keys"), "*", SearchOption.AllDirectories));
        Assert.Equal("factory identity", File.ReadAllText(directory.Sub("factory/idevid.key")));
    }

    [Fact]
    public async Task Zeroize_removes_links_without_writing_through_them()
    {
        File.CreateSymbolicLink(directory.Sub("keys/factory-link.key"), directory.Sub("factory/idevid.key"));
        Directory.CreateSymbolicLink(directory.Sub("keys/factory-dir"), directory.Sub("factory"));

        var outcome = await Handler().HandleAsync(Signed(CommandType.Zeroize), default);

        Assert.Equal("2 key files destroyed", outcome.Detail);
        Assert.Empty(Directory.EnumerateFiles(directory.Sub("keys"), "*", SearchOption.AllDirectories));
        Assert.False(Path.Exists(directory.Sub("keys/factory-link.key")));
        Assert.False(Path.Exists(directory.Sub("keys/factory-dir")));
        Assert.Equal("factory identity", File.ReadAllText(directory.Sub("factory/idevid.key")));
    }

    [Theory]
    [InlineData(CommandType.RotateCredentials, "rotate")]
    [InlineData(CommandType.ReAttest, "re-attest")]
    [InlineData(CommandType.UploadForensics, "upload since=1h")]
    public async Task Server_facing_commands_go_to_their_responder(CommandType type, string expected)
    {
        var outcome = await Handler().HandleAsync(Signed(type, parameters: new() { ["since"] = "1h" }), default);
        Assert.Equal(CommandOutcomeKind.Executed, outcome.Kind);
        Assert.Equal([expected], remote.Calls);
    }

    [Fact]
    public async Task The_forensic_upload_is_for_the_signed_nonce_the_server_knows_the_command_by()
    {
        var outcome = await Handler().HandleAsync(Signed(CommandType.UploadForensics, parameters: new() { ["since"] = "1h" }), default);
        Assert.NotNull(outcome.Nonce);
        Assert.Equal([outcome.Nonce], remote.UploadedFor);
    }

    [Fact]
    public async Task Forged_zeroize_is_refused_and_keys_stay()
    {
        using var attacker = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var outcome = await Handler().HandleAsync(Signed(CommandType.Zeroize, key: attacker), default);

        Assert.Equal(CommandOutcomeKind.Refused, outcome.Kind);
        Assert.Equal(CommandRefusal.BadSignature, outcome.Refusal);
        Assert.True(File.Exists(directory.Sub("keys/device.key")));
    }

    [Fact]
    public async Task Replayed_command_is_refused_even_after_an_agent_restart()
    {
        var envelope = Signed(CommandType.Release);
        Assert.Equal(CommandOutcomeKind.Executed, (await Handler().HandleAsync(envelope, default)).Kind);
        Isolation.Isolate("again");

        var replay = await Handler().HandleAsync(SignedCommand.FromJson(envelope.ToJson()), default);
        Assert.Equal(CommandRefusal.Replayed, replay.Refusal);
        Assert.True(Isolation.IsIsolated);
    }

    [Fact]
    public async Task Expired_command_is_refused()
    {
        var envelope = Signed(CommandType.Isolate);
        clock.Now = Now.AddMinutes(15);
        var outcome = await Handler().HandleAsync(envelope, default);
        Assert.Equal(CommandRefusal.Expired, outcome.Refusal);
        Assert.False(Isolation.IsIsolated);
    }

    [Fact]
    public async Task Command_for_another_device_is_refused()
    {
        var outcome = await Handler().HandleAsync(Signed(CommandType.Zeroize, device: "robot-8"), default);
        Assert.Equal(CommandRefusal.WrongDevice, outcome.Refusal);
        Assert.True(File.Exists(directory.Sub("keys/device.key")));
    }

    [Fact]
    public async Task Responder_failure_is_reported_as_failed()
    {
        remote.Fail = true;
        var outcome = await Handler().HandleAsync(Signed(CommandType.ReAttest), default);
        Assert.Equal(CommandOutcomeKind.Failed, outcome.Kind);
        Assert.Equal("re-attest failed: tpm unavailable", outcome.Detail);
    }

    [Fact]
    public void Nonce_store_forgets_nonces_once_their_command_expired()
    {
        var store = new FileCommandNonceStore(directory.Sub("nonces"));
        Assert.True(store.TryRecord("n1", Now.AddMinutes(5), Now));
        Assert.False(store.TryRecord("n1", Now.AddMinutes(5), Now.AddMinutes(1)));
        Assert.True(store.TryRecord("n2", Now.AddMinutes(20), Now.AddMinutes(6)));
        Assert.DoesNotContain("n1", File.ReadAllText(directory.Sub("nonces")));
    }

    private sealed class FixedClock(DateTimeOffset now) : TimeProvider
    {
        public DateTimeOffset Now { get; set; } = now;

        public override DateTimeOffset GetUtcNow() => Now;
    }

    private sealed class RecordingResponder : ICredentialRotation, IReAttestation, IForensicsUpload
    {
        public List<string> Calls { get; } = [];

        public bool Fail { get; set; }

        public Task RotateAsync(CancellationToken cancellationToken) => Record("rotate");

        public Task ReAttestAsync(CancellationToken cancellationToken) => Record("re-attest");

        public List<string> UploadedFor { get; } = [];

        public Task UploadAsync(string commandId, IReadOnlyDictionary<string, string> parameters, CancellationToken cancellationToken)
        {
            UploadedFor.Add(commandId);
            return Record($"upload since={parameters["since"]}");
        }

        private Task Record(string call)
        {
            if (Fail)
            {
                throw new IOException("tpm unavailable");
            }
            Calls.Add(call);
            return Task.CompletedTask;
        }
    }
}
