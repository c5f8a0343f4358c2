using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Fleetward.Core.Ports;
using Fleetward.Core.Receipts;
using Fleetward.Trust.Commands;
using Fleetward.Trust.Notes;

namespace Fleetward.Core.Tests.Receipts;

public sealed class SignedReceiptsTests
{
    private const string Origin = "fleet.example/fleetward-audit";
    private static readonly DateTimeOffset Now = new(2026, 11, 21, 12, 0, 0, 123, TimeSpan.Zero);

    private readonly Ed25519NoteSigner logKey = Ed25519NoteSigner.Generate(Origin);

    private SecurityReceipts Receipts(INoteSigner? checkpointSigner = null)
    {
        var root = SHA256.HashData("root"u8);
        var note = new Checkpoint(Origin, 41, root).Sign(checkpointSigner ?? logKey).ToString();
        var facts = new ReceiptFacts(
            new FleetFacts(9, 1),
            new CredentialFacts(10, 10, 0, 0, 9),
            new ConnectionFacts(100, 1, 3),
            ReleaseAdoptionFacts.None,
            new OtaFacts(8, 1, 1, 2, 1),
            new MedianSample(3, 1_000, 1_000),
            MedianSample.Empty,
            new IncidentFacts(1, 5_000, 1, 60_000, 0),
            1,
            new AuditFacts(42, new StoredAuditCheckpoint(41, root, note, Now.AddMinutes(-5))));
        return SecurityReceiptsCalculator.Compute("fleet.example", Now, Now.AddDays(-30), facts, new ReceiptCheckpointCheck(true, "verified"));
    }

    [Fact]
    public void A_signed_receipt_verifies_offline_with_the_log_verifier_key_and_round_trips()
    {
        var receipts = Receipts();
        var envelope = SignedReceipts.Sign(receipts, logKey).ToJson();

        var result = SignedReceipts.Verify(envelope, NoteVerifierKey.Parse(logKey.VerifierKey.ToString()));

        Assert.True(result.Verified, result.Failure);
        var back = result.Receipts!;
        Assert.Equal(receipts.Server, back.Server);
        Assert.Equal(receipts.GeneratedAt, back.GeneratedAt);
        Assert.Equal(receipts.Audit, back.Audit);
        Assert.Equal(receipts.Figures, back.Figures);
    }

    [Fact]
    public void The_envelope_names_the_payload_type_and_the_log_key()
    {
        var envelope = SignedReceipts.Sign(Receipts(), logKey);
        Assert.Equal(SignedReceipts.PayloadType, envelope.PayloadType);
        Assert.Equal($"{Origin}+{logKey.VerifierKey.KeyId:x8}", Assert.Single(envelope.Signatures).KeyId);
        Assert.Equal(SecurityReceiptsJson.ToCanonicalBytes(Receipts()), envelope.Payload);
    }

    [Fact]
    public void A_tampered_figure_is_refused_by_the_signature_check()
    {
        var envelope = SignedReceipts.Sign(Receipts(), logKey);
        var payload = JsonNode.Parse(envelope.Payload)!;
        payload["figures"]![0]!["value"] = "42";
        var tampered = envelope with { Payload = Fleetward.Trust.Canonical.CanonicalJson.Serialize(payload) };

        var result = SignedReceipts.Verify(tampered.ToJson(), logKey.VerifierKey);

        Assert.False(result.Verified);
        Assert.StartsWith("signature:", result.Failure);
    }

    [Fact]
    public void Another_key_is_refused_naming_the_key_it_expected()
    {
        var other = Ed25519NoteSigner.Generate(Origin);
        var result = SignedReceipts.Verify(SignedReceipts.Sign(Receipts(), logKey).ToJson(), other.VerifierKey);
        Assert.False(result.Verified);
        Assert.Contains(SignedReceipts.KeyIdOf(other.VerifierKey), result.Failure);
    }

    [Fact]
    public void A_signature_under_another_payload_type_is_refused()
    {
        var envelope = SignedReceipts.Sign(Receipts(), logKey) with { PayloadType = DeviceCommand.PayloadType };
        Assert.StartsWith("envelope.payloadType", SignedReceipts.Verify(envelope.ToJson(), logKey.VerifierKey).Failure);
    }

    [Fact]
    public void Garbage_is_refused_as_a_malformed_envelope()
    {
        Assert.StartsWith("envelope:", SignedReceipts.Verify("{\"not\":\"dsse\"}", logKey.VerifierKey).Failure);
    }

    [Fact]
    public void A_checkpoint_signed_by_another_key_is_refused_even_when_the_envelope_verifies()
    {
        var receipts = Receipts(checkpointSigner: Ed25519NoteSigner.Generate(Origin));
        var result = SignedReceipts.Verify(SignedReceipts.Sign(receipts, logKey).ToJson(), logKey.VerifierKey);
        Assert.False(result.Verified);
        Assert.StartsWith("audit.checkpoint:", result.Failure);
    }

    [Fact]
    public void A_checkpoint_that_disagrees_with_the_receipt_anchor_is_refused()
    {
        var receipts = Receipts();
        receipts = receipts with { Audit = receipts.Audit with { CheckpointTreeSize = 40 } };
        var result = SignedReceipts.Verify(SignedReceipts.Sign(receipts, logKey).ToJson(), logKey.VerifierKey);
        Assert.False(result.Verified);
        Assert.Contains("does not match", result.Failure);
    }

    [Fact]
    public void A_non_canonical_payload_is_refused_even_with_a_valid_signature()
    {
        var canonical = SecurityReceiptsJson.ToCanonicalBytes(Receipts());
        var pretty = Encoding.UTF8.GetBytes(JsonNode.Parse(canonical)!.ToJsonString(new System.Text.Json.JsonSerializerOptions { WriteIndented = true }));
        var signature = logKey.Sign(SignedCommand.PreAuthenticationEncoding(SignedReceipts.PayloadType, pretty));
        var envelope = new SignedCommand(SignedReceipts.PayloadType, pretty, [new CommandSignature(SignedReceipts.KeyIdOf(logKey.VerifierKey), signature)]);

        Assert.Equal("payload: not in canonical JSON form", SignedReceipts.Verify(envelope.ToJson(), logKey.VerifierKey).Failure);
    }

    [Fact]
    public void An_ecdsa_log_key_signs_receipts_too()
    {
        using var ecdsa = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var signer = new EcdsaNoteSigner(Origin, ecdsa);
        var result = SignedReceipts.Verify(SignedReceipts.Sign(Receipts(signer), signer).ToJson(), signer.VerifierKey);
        Assert.True(result.Verified, result.Failure);
    }

    [Fact]
    public void Parsing_names_the_member_that_is_wrong()
    {
        var json = SecurityReceiptsJson.ToJson(Receipts());
        json["figures"]![2]!["unit"] = "furlongs";
        var error = Assert.Throws<FormatException>(() => SecurityReceiptsJson.Parse(Encoding.UTF8.GetBytes(json.ToJsonString())));
        Assert.Equal("receipt.figures[2].unit: unknown unit", error.Message);
    }
}
