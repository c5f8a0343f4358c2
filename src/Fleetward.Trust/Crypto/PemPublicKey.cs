namespace Fleetward.Trust.Crypto;

/// <summary>SPKI PEM handling shared by the ecdsa and rsa schemes.</summary>
internal static class PemPublicKey
{
    public static byte[] DecodeSubjectPublicKeyInfo(string pem)
    {
        var fields = System.Security.Cryptography.PemEncoding.Find(pem);
        if (pem[fields.Label] is not "PUBLIC KEY")
            throw new FormatException("expected a PUBLIC KEY PEM block");
        return Convert.FromBase64String(pem[fields.Base64Data].ToString());
    }

    /// <summary>PEM as python-cryptography (securesystemslib) writes it: 64-column lines and a trailing newline.</summary>
    public static string Encode(byte[] subjectPublicKeyInfo) =>
        new string(System.Security.Cryptography.PemEncoding.Write("PUBLIC KEY", subjectPublicKeyInfo)) + "\n";
}
