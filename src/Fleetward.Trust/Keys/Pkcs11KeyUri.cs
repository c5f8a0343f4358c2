using System.Text;

namespace Fleetward.Trust.Keys;

/// <summary>
/// Names a private key inside a PKCS#11 token (RFC 7512). The PIN is deliberately not part of it: the URI may be
/// written into configuration, the PIN comes from a prompt or the environment and is added only when the key is opened.
/// </summary>
public sealed record Pkcs11KeyUri
{
    public Pkcs11KeyUri(string token, string objectLabel)
    {
        if (string.IsNullOrEmpty(token))
        {
            throw new ArgumentException("The token label must not be empty.", nameof(token));
        }

        if (string.IsNullOrEmpty(objectLabel))
        {
            throw new ArgumentException("The object label must not be empty.", nameof(objectLabel));
        }

        Token = token;
        ObjectLabel = objectLabel;
    }

    /// <summary>CKA_LABEL of the token (RFC 7512 2.3 "token").</summary>
    public string Token { get; }

    /// <summary>CKA_LABEL of the key object (RFC 7512 2.3 "object").</summary>
    public string ObjectLabel { get; }

    /// <summary>Parses <c>pkcs11:token=...;object=...[;type=private]</c>. A pin-value is refused: PINs do not belong in configuration.</summary>
    public static Pkcs11KeyUri Parse(string uri)
    {
        ArgumentNullException.ThrowIfNull(uri);
        const string scheme = "pkcs11:";
        if (!uri.StartsWith(scheme, StringComparison.OrdinalIgnoreCase))
        {
            throw new FormatException("A PKCS#11 URI starts with 'pkcs11:' (RFC 7512 2.3).");
        }

        string? token = null;
        string? label = null;
        var path = uri[scheme.Length..];
        var query = path.IndexOf('?');
        if (query >= 0)
        {
            if (path[(query + 1)..].Contains("pin-value", StringComparison.OrdinalIgnoreCase))
            {
                throw new FormatException("The PKCS#11 URI carries a pin-value; supply the PIN separately, never in configuration.");
            }

            path = path[..query];
        }

        foreach (var attribute in path.Split(';', StringSplitOptions.RemoveEmptyEntries))
        {
            var equals = attribute.IndexOf('=');
            if (equals <= 0)
            {
                throw new FormatException($"PKCS#11 URI attribute '{attribute}' has no value.");
            }

            var name = attribute[..equals];
            var value = Uri.UnescapeDataString(attribute[(equals + 1)..]);
            switch (name)
            {
                case "token": token = value; break;
                case "object": label = value; break;
                case "type" when value == "private": break;
                case "type": throw new FormatException($"The PKCS#11 URI names type={value}; a signing key is type=private.");
                case "pin-value": throw new FormatException("The PKCS#11 URI carries a pin-value; supply the PIN separately, never in configuration.");
                default: throw new FormatException($"PKCS#11 URI attribute '{name}' is not supported; use token and object.");
            }
        }

        if (token is null || label is null)
        {
            throw new FormatException("The PKCS#11 URI must name both token and object.");
        }

        return new Pkcs11KeyUri(token, label);
    }

    /// <summary>The URI without any PIN, safe to log and to store.</summary>
    public override string ToString() => $"pkcs11:token={Escape(Token)};object={Escape(ObjectLabel)};type=private";

    /// <summary>The form the OpenSSL pkcs11 engine (libp11) takes, with the PIN as a path attribute.</summary>
    internal string ToEngineUri(ReadOnlySpan<char> pin) => $"{this};pin-value={Escape(pin.ToString())}";

    /// <summary>RFC 7512 2.3: everything outside the unreserved set (RFC 3986 2.3) is percent-encoded as UTF-8.</summary>
    private static string Escape(string value)
    {
        var builder = new StringBuilder(value.Length);
        foreach (var b in Encoding.UTF8.GetBytes(value))
        {
            var c = (char)b;
            if (b < 0x80 && (char.IsAsciiLetterOrDigit(c) || c is '-' or '.' or '_' or '~'))
            {
                builder.Append(c);
            }
            else
            {
                builder.Append('%').Append(b.ToString("X2"));
            }
        }

        return builder.ToString();
    }
}
