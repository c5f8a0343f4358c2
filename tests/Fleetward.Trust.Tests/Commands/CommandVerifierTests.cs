using System.Security.Cryptography;
using System.Text;
using Fleetward.Trust.Commands;

namespace Fleetward.Trust.Tests.Commands;

public sealed class CommandVerifierTests : IDisposable
{
    private static readonly DateTimeOffset Now = new(2026, 11, 21, 9, 0, 0, TimeSpan.Zero);
    private readonly ECDsa serverKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
    private readonly ECDsa attackerKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
    private readonly MemoryNonceStore nonces = new();

    public void Dispose()
    {
        serverKey.Dispose();
        attackerKey.Dispose();
    }

    private CommandVerifier Verifier() => new([serverKey]);

    private static DeviceCommand Command(CommandType type = CommandType.Isolate, string device = "robot-7", DateTimeOffset? issued = null, TimeSpan? lifetime = null) =>
        DeviceCommand.Create(type, device, issued ?? Now.AddMinutes(-1), lifetime ?? TimeSpan.FromMinutes(10), new Dictionary<string, string> { ["reason"] = "incident 42" });

    private CommandVerification Verify(SignedCommand envelope, string device = "robot-7", DateTimeOffset? now = null) =>
        Verifier().Verify(envelope, device, now ?? Now, nonces);

    [Fact]
    public void Pre_authentication_encoding_matches_the_dsse_test_vector() =>
        Assert.Equal(
            "DSSEv1 29 http://example.com/HelloWorld 11 hello world",
            Encoding.UTF8.GetString(SignedCommand.PreAuthenticationEncoding("http://example.com/HelloWorld", "hello world"u8)));

    [Fact]
    public void Genuine_command_is_accepted_with_its_content()
    {
        var command = Command(CommandType.Zeroize);
        var result = Verify(new CommandSigner(serverKey).Sign(command));

        Assert.True(result.Accepted, result.Detail);
        Assert.Equal(CommandType.Zeroize, result.Command!.Type);
        Assert.Equal(command.Nonce, result.Command.Command.Nonce);
        Assert.Equal("incident 42", result.Command.Command.Parameters["reason"]);
    }

    [Fact]
    public void Encoding_is_canonical_whatever_the_parameter_order()
    {
        var a = new DeviceCommand("isolate", "d", Now, Now.AddMinutes(1), "n", new Dictionary<string, string> { ["b"] = "2", ["a"] = "1" });
        var b = a with { Parameters = new Dictionary<string, string> { ["a"] = "1", ["b"] = "2" } };
        Assert.Equal(a.Encode(), b.Encode());
        Assert.Equal(
            """{"type":"isolate","deviceId":"d","issuedAt":"2026-11-21T09:00:00Z","expiresAt":"2026-11-21T09:01:00Z","nonce":"n","parameters":{"a":"1","b":"2"}}""",
            Encoding.UTF8.GetString(a.Encode()));
    }

    [Fact]
    public void Command_signed_by_another_key_is_refused_as_forged()
    {
        var forged = new CommandSigner(attackerKey).Sign(Command());
        Assert.Equal(CommandRefusal.BadSignature, Verify(forged).Refusal);
    }

    [Fact]
    public void Forged_key_id_does_not_help_a_foreign_signature()
    {
        var forged = new CommandSigner(attackerKey).Sign(Command());
        forged = forged with { Signatures = [forged.Signatures[0] with { KeyId = CommandKeyId.Of(serverKey) }] };
        Assert.Equal(CommandRefusal.BadSignature, Verify(forged).Refusal);
    }

    [Fact]
    public void Payload_changed_after_signing_is_refused()
    {
        var genuine = new CommandSigner(serverKey).Sign(Command(device: "robot-8"));
        var payload = Encoding.UTF8.GetBytes(Encoding.UTF8.GetString(genuine.Payload).Replace("robot-8", "robot-7"));
        Assert.Equal(CommandRefusal.BadSignature, Verify(genuine with { Payload = payload }).Refusal);
    }

    [Fact]
    public void Garbage_signature_is_refused()
    {
        var genuine = new CommandSigner(serverKey).Sign(Command());
        Assert.Equal(CommandRefusal.BadSignature, Verify(genuine with { Signatures = [new CommandSignature("", [1, 2, 3])] }).Refusal);
    }

    [Fact]
    public void Envelope_without_signatures_is_refused() =>
        Assert.Equal(CommandRefusal.BadSignature, Verify(new CommandSigner(serverKey).Sign(Command()) with { Signatures = [] }).Refusal);

    [Fact]
    public void Other_payload_type_is_refused()
    {
        var genuine = new CommandSigner(serverKey).Sign(Command());
        Assert.Equal(CommandRefusal.Malformed, Verify(genuine with { PayloadType = "application/json" }).Refusal);
    }

    [Fact]
    public void Replayed_command_is_refused()
    {
        var envelope = new CommandSigner(serverKey).Sign(Command());
        Assert.True(Verify(envelope).Accepted);
        var replay = Verify(envelope, now: Now.AddMinutes(1));
        Assert.Equal(CommandRefusal.Replayed, replay.Refusal);
    }

    [Fact]
    public void Command_for_another_device_is_refused()
    {
        var result = Verify(new CommandSigner(serverKey).Sign(Command(device: "robot-8")));
        Assert.Equal(CommandRefusal.WrongDevice, result.Refusal);
        Assert.Contains("robot-8", result.Detail);
    }

    [Fact]
    public void Expired_command_is_refused_at_its_expiry()
    {
        var command = Command();
        var envelope = new CommandSigner(serverKey).Sign(command);
        Assert.Equal(CommandRefusal.Expired, Verify(envelope, now: command.ExpiresAt).Refusal);
        Assert.True(Verify(envelope, now: command.ExpiresAt.AddSeconds(-1)).Accepted);
    }

    [Fact]
    public void Command_from_the_future_is_refused_beyond_the_clock_skew()
    {
        var envelope = new CommandSigner(serverKey).Sign(Command(issued: Now.AddMinutes(6)));
        Assert.Equal(CommandRefusal.NotYetValid, Verify(envelope).Refusal);
        var withinSkew = new CommandSigner(serverKey).Sign(Command(issued: Now.AddMinutes(4)));
        Assert.True(Verify(withinSkew).Accepted);
    }

    [Fact]
    public void Refused_command_does_not_use_up_its_nonce()
    {
        var envelope = new CommandSigner(serverKey).Sign(Command(issued: Now.AddMinutes(6)));
        Assert.Equal(CommandRefusal.NotYetValid, Verify(envelope).Refusal);
        Assert.True(Verify(envelope, now: Now.AddMinutes(7)).Accepted);
    }

    [Fact]
    public void Unknown_type_is_refused_by_name()
    {
        var command = Command() with { Type = "self-destruct" };
        var result = Verify(new CommandSigner(serverKey).Sign(command));
        Assert.Equal(CommandRefusal.UnknownType, result.Refusal);
        Assert.Contains("self-destruct", result.Detail);
    }

    [Fact]
    public void Overlong_validity_is_refused()
    {
        var envelope = new CommandSigner(serverKey).Sign(Command(lifetime: TimeSpan.FromDays(30)));
        Assert.Equal(CommandRefusal.ValidityTooLong, Verify(envelope).Refusal);
    }

    [Fact]
    public void Signed_but_malformed_payload_is_refused_naming_the_member()
    {
        var payload = Encoding.UTF8.GetBytes(Encoding.UTF8.GetString(Command().Encode()).Replace("\"parameters\"", "\"extra\":\"1\",\"parameters\""));
        var signature = serverKey.SignData(SignedCommand.PreAuthenticationEncoding(DeviceCommand.PayloadType, payload), HashAlgorithmName.SHA256, DSASignatureFormat.Rfc3279DerSequence);
        var result = Verify(new SignedCommand(DeviceCommand.PayloadType, payload, [new CommandSignature("", signature)]));
        Assert.Equal(CommandRefusal.Malformed, result.Refusal);
        Assert.Contains("command.extra", result.Detail);
    }

    [Fact]
    public void Envelope_round_trips_through_dsse_json()
    {
        var envelope = new CommandSigner(serverKey).Sign(Command());
        var parsed = SignedCommand.FromJson(envelope.ToJson());
        Assert.Equal(envelope.Payload, parsed.Payload);
        Assert.True(Verify(parsed).Accepted);
    }

    [Fact]
    public void Envelope_json_accepts_url_safe_base64_without_padding()
    {
        var json = """{"payload":"aGVsbG8gd29ybGQ","payloadType":"http://example.com/HelloWorld","signatures":[{"sig":"A3JqsQGtVsJ2O2xqrI5IcnXip5GToJ3F-FnZ-O88SjtR6rDAajabZKciJTfUiHqJPcIAriEGAHTVeCUjW2JIZA"}]}""";
        var envelope = SignedCommand.FromJson(json);
        Assert.Equal("hello world", Encoding.UTF8.GetString(envelope.Payload));
        Assert.Equal(64, envelope.Signatures[0].Signature.Length);
    }

    [Fact]
    public void Broken_envelope_json_is_a_format_error() =>
        Assert.Throws<FormatException>(() => SignedCommand.FromJson("""{"payloadType":"x"}"""));

    [Fact]
    public void Non_p256_keys_are_refused()
    {
        using var p384 = ECDsa.Create(ECCurve.NamedCurves.nistP384);
        Assert.Throws<ArgumentException>(() => new CommandVerifier([p384]));
        Assert.Throws<ArgumentException>(() => new CommandSigner(p384));
    }

    private sealed class MemoryNonceStore : ICommandNonceStore
    {
        private readonly HashSet<string> seen = [];

        public bool TryRecord(string nonce, DateTimeOffset keepUntil, DateTimeOffset now) => seen.Add(nonce);
    }
}
