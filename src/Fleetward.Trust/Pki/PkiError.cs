namespace Fleetward.Trust.Pki;

/// <summary>
/// Why a PKI input was refused: a stable <paramref name="Code"/> that the API maps to RFC 9457 problem types,
/// the <paramref name="Field"/> that was wrong, and a public message safe to return to the device.
/// Expected bad input (a weak key, a forged CSR) is data, not an exception, so callers must handle it.
/// </summary>
public sealed record PkiError(string Code, string Field, string Message)
{
    public override string ToString() => $"{Code} ({Field}): {Message}";
}

/// <summary>Stable error codes; never renamed once shipped because clients and audit records match on them.</summary>
public static class PkiErrorCodes
{
    public const string Base64Invalid = "est.base64_invalid";
    public const string BodyTooLarge = "est.body_too_large";
    public const string DerInvalid = "csr.der_invalid";
    public const string VersionUnsupported = "csr.version_unsupported";
    public const string SignatureAlgorithmUnsupported = "csr.signature_algorithm_unsupported";
    public const string SignatureInvalid = "csr.signature_invalid";
    public const string KeyAlgorithmUnsupported = "csr.key_algorithm_unsupported";
    public const string CurveUnsupported = "csr.curve_unsupported";
    public const string KeyTooWeak = "csr.key_too_weak";
    public const string KeyTooLarge = "csr.key_too_large";
    public const string KeyInvalid = "csr.key_invalid";
    public const string SubjectMismatch = "csr.subject_mismatch";
    public const string SubjectAltNameMismatch = "csr.san_mismatch";
    public const string KeyFormatInvalid = "keystore.format_invalid";
    public const string KeyEncryptionUnsupported = "keystore.encryption_unsupported";
    public const string KeyPassphraseWrong = "keystore.passphrase_wrong";
}

/// <summary>Either a value or the <see cref="PkiError"/> that explains why there is none.</summary>
public sealed class PkiResult<T>
    where T : class
{
    private PkiResult(T? value, PkiError? error)
    {
        Value = value;
        Error = error;
    }

    public T? Value { get; }

    public PkiError? Error { get; }

    [System.Diagnostics.CodeAnalysis.MemberNotNullWhen(true, nameof(Value))]
    [System.Diagnostics.CodeAnalysis.MemberNotNullWhen(false, nameof(Error))]
    public bool IsSuccess => Error is null;

    public static PkiResult<T> Success(T value) => new(value ?? throw new ArgumentNullException(nameof(value)), null);

    public static PkiResult<T> Failure(string code, string field, string message) => new(null, new PkiError(code, field, message));

    public static PkiResult<T> Failure(PkiError error) => new(null, error ?? throw new ArgumentNullException(nameof(error)));
}
