using System.Diagnostics.CodeAnalysis;
using System.Security.Cryptography.X509Certificates;

namespace Fleetward.Trust.Pki;

/// <summary>
/// The RFC 5280 5.3.1 CRLReason names (keyCompromise, superseded, ...) as operators type them on the command line
/// and as audit records and the API show them. removeFromCRL and aACompromise are not offered: they do not apply
/// to a device CA without delta CRLs or attribute certificates.
/// </summary>
public static class RevocationReasonNames
{
    private static readonly (string Name, X509RevocationReason Reason)[] Names =
    [
        ("unspecified", X509RevocationReason.Unspecified),
        ("keyCompromise", X509RevocationReason.KeyCompromise),
        ("cACompromise", X509RevocationReason.CACompromise),
        ("affiliationChanged", X509RevocationReason.AffiliationChanged),
        ("superseded", X509RevocationReason.Superseded),
        ("cessationOfOperation", X509RevocationReason.CessationOfOperation),
        ("certificateHold", X509RevocationReason.CertificateHold),
        ("privilegeWithdrawn", X509RevocationReason.PrivilegeWithdrawn),
    ];

    public static IEnumerable<string> All => Names.Select(n => n.Name);

    public static string ToName(this X509RevocationReason reason)
    {
        foreach (var (name, value) in Names)
        {
            if (value == reason)
            {
                return name;
            }
        }

        throw new ArgumentOutOfRangeException(nameof(reason), reason, "Not a CRL reason Fleetward uses.");
    }

    /// <summary>Case-insensitive, so "keycompromise" from a shell works too.</summary>
    public static bool TryParse(string? name, [NotNullWhen(true)] out X509RevocationReason? reason)
    {
        foreach (var (candidate, value) in Names)
        {
            if (string.Equals(candidate, name, StringComparison.OrdinalIgnoreCase))
            {
                reason = value;
                return true;
            }
        }

        reason = null;
        return false;
    }
}
