using System.Diagnostics.CodeAnalysis;
using System.Security.Cryptography;
using System.Text;

namespace Fleetward.Server.Access;

/// <summary>
/// The plaintext form of an operator token, <c>fw_&lt;id&gt;_&lt;secret&gt;</c>. The id is public and
/// locates the stored record; only the SHA-256 of the secret is stored, and the comparison is
/// constant-time so response timing does not leak how much of a guess matched.
/// </summary>
public sealed class ApiTokenSecret
{
    public const string Prefix = "fw_";
    private const int IdBytes = 8;
    private const int SecretBytes = 32;

    private ApiTokenSecret(string id, string secret)
    {
        Id = id;
        Secret = secret;
    }

    public string Id { get; }

    private string Secret { get; }

    /// <summary>A fresh token: 64-bit random id (hex), 256-bit random secret (base64url).</summary>
    public static ApiTokenSecret Generate()
    {
        var id = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(IdBytes));
        var secret = Base64Url(RandomNumberGenerator.GetBytes(SecretBytes));
        return new ApiTokenSecret(id, secret);
    }

    public static bool TryParse(string? text, [NotNullWhen(true)] out ApiTokenSecret? token)
    {
        token = null;
        if (text is null || !text.StartsWith(Prefix, StringComparison.Ordinal))
        {
            return false;
        }
        var rest = text.AsSpan(Prefix.Length);
        var separator = rest.IndexOf('_');
        if (separator != IdBytes * 2)
        {
            return false;
        }
        var id = rest[..separator];
        var secret = rest[(separator + 1)..];
        if (!IsLowerHex(id) || secret.Length != Base64UrlLength(SecretBytes) || !IsBase64Url(secret))
        {
            return false;
        }
        token = new ApiTokenSecret(id.ToString(), secret.ToString());
        return true;
    }

    /// <summary>The value stored at rest.</summary>
    public byte[] Hash() => SHA256.HashData(Encoding.ASCII.GetBytes(Secret));

    /// <summary>Constant-time comparison against a stored hash.</summary>
    public bool Matches(byte[] storedHash) => CryptographicOperations.FixedTimeEquals(Hash(), storedHash);

    /// <summary>The full token to hand to the operator once.</summary>
    public string Reveal() => Prefix + Id + "_" + Secret;

    public override string ToString() => Prefix + Id + "_…";

    private static string Base64Url(byte[] bytes) =>
        Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    private static int Base64UrlLength(int bytes) => (bytes * 4 + 2) / 3;

    private static bool IsLowerHex(ReadOnlySpan<char> text)
    {
        foreach (var c in text)
        {
            if (c is not (>= '0' and <= '9' or >= 'a' and <= 'f'))
            {
                return false;
            }
        }
        return true;
    }

    private static bool IsBase64Url(ReadOnlySpan<char> text)
    {
        foreach (var c in text)
        {
            if (c is not (>= 'A' and <= 'Z' or >= 'a' and <= 'z' or >= '0' and <= '9' or '-' or '_'))
            {
                return false;
            }
        }
        return true;
    }
}
