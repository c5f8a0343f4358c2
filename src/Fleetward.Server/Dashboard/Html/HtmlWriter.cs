using System.Text;
using System.Text.Encodings.Web;

namespace Fleetward.Server.Dashboard.Html;

/// <summary>
/// Writes HTML (and inline SVG) so that no value can become markup: element and attribute names
/// must be plain lower-case identifiers written by code, and every text and attribute value is
/// HTML-encoded on the way in. There is deliberately no way to write raw markup, so a device name,
/// tag or model string from the registry can never inject a script or break out of an attribute.
/// </summary>
public sealed class HtmlWriter
{
    private static readonly HashSet<string> VoidElements = ["br", "hr", "img", "input", "link", "meta"];
    private readonly StringBuilder output = new();
    private readonly Stack<string> open = new();
    private readonly HtmlEncoder encoder;

    public HtmlWriter(HtmlEncoder? encoder = null)
    {
        this.encoder = encoder ?? HtmlEncoder.Default;
    }

    /// <summary>Writes the HTML5 doctype; only valid as the first thing written.</summary>
    public HtmlWriter Doctype()
    {
        if (output.Length > 0)
        {
            throw new InvalidOperationException("The doctype must come first.");
        }
        output.Append("<!DOCTYPE html>\n");
        return this;
    }

    /// <summary>Opens an element; dispose the result (or call <see cref="Close"/>) to close it.</summary>
    public ElementScope Open(string tag, params ReadOnlySpan<(string Name, string? Value)> attributes)
    {
        WriteStartTag(tag, attributes);
        if (VoidElements.Contains(tag))
        {
            throw new ArgumentException($"<{tag}> is a void element; use Void.", nameof(tag));
        }
        open.Push(tag);
        return new ElementScope(this, open.Count);
    }

    /// <summary>Closes the innermost open element.</summary>
    public HtmlWriter Close()
    {
        if (open.Count == 0)
        {
            throw new InvalidOperationException("No element is open.");
        }
        output.Append("</").Append(open.Pop()).Append('>');
        return this;
    }

    /// <summary>An element with text content: <c>&lt;tag attrs&gt;text&lt;/tag&gt;</c>.</summary>
    public HtmlWriter Element(string tag, string? text, params ReadOnlySpan<(string Name, string? Value)> attributes)
    {
        using (Open(tag, attributes))
        {
            Text(text);
        }
        return this;
    }

    /// <summary>A void element such as input or link (no content, no end tag).</summary>
    public HtmlWriter Void(string tag, params ReadOnlySpan<(string Name, string? Value)> attributes)
    {
        if (!VoidElements.Contains(tag))
        {
            throw new ArgumentException($"<{tag}> is not a void element.", nameof(tag));
        }
        WriteStartTag(tag, attributes);
        return this;
    }

    /// <summary>Encoded text content.</summary>
    public HtmlWriter Text(string? text)
    {
        if (!string.IsNullOrEmpty(text))
        {
            encoder.Encode(new StringWriter(output), text);
        }
        return this;
    }

    /// <summary>The document so far; every element must be closed.</summary>
    public override string ToString()
    {
        if (open.Count > 0)
        {
            throw new InvalidOperationException($"<{open.Peek()}> is still open.");
        }
        return output.ToString();
    }

    private void WriteStartTag(string tag, ReadOnlySpan<(string Name, string? Value)> attributes)
    {
        EnsureName(tag, nameof(tag));
        output.Append('<').Append(tag);
        foreach (var (name, value) in attributes)
        {
            EnsureName(name, nameof(attributes));
            if (value is null)
            {
                continue;
            }
            if (IsUrlAttribute(name))
            {
                EnsureSafeUrl(name, value);
            }
            output.Append(' ').Append(name).Append("=\"");
            encoder.Encode(new StringWriter(output), value);
            output.Append('"');
        }
        output.Append('>');
    }

    /// <summary>Names are code-chosen identifiers; event-handler attributes (on*) are refused so no inline script is ever written.</summary>
    private static void EnsureName(string name, string parameter)
    {
        if (name.Length == 0 || !char.IsAsciiLetterLower(name[0]))
        {
            throw new ArgumentException($"'{name}' is not a valid element or attribute name.", parameter);
        }
        foreach (var c in name)
        {
            if (!(char.IsAsciiLetter(c) || char.IsAsciiDigit(c) || c is '-' or ':'))
            {
                throw new ArgumentException($"'{name}' is not a valid element or attribute name.", parameter);
            }
        }
        if (name.StartsWith("on", StringComparison.OrdinalIgnoreCase) || name.Equals("style", StringComparison.OrdinalIgnoreCase))
        {
            throw new ArgumentException($"'{name}' attributes are not written: the Content-Security-Policy forbids inline script and style.", parameter);
        }
    }

    private static bool IsUrlAttribute(string name) => name is "href" or "src" or "action" or "formaction" or "xlink:href";

    /// <summary>Links are relative to this server or absolute https; javascript:, data: and other schemes are refused.</summary>
    private static void EnsureSafeUrl(string name, string value)
    {
        // "//host" and "/\host" are protocol-relative links to another host, not local paths.
        var localPath = value.StartsWith('/') && !value.StartsWith("//", StringComparison.Ordinal) && !value.StartsWith("/\\", StringComparison.Ordinal);
        if (localPath || value.StartsWith('#') || value.StartsWith('?')
            || value.StartsWith("https://", StringComparison.OrdinalIgnoreCase))
        {
            return;
        }
        throw new ArgumentException($"The {name} value '{value}' is neither a local path nor an https URL.", nameof(value));
    }

    /// <summary>Closes the element it was opened for when disposed.</summary>
    public readonly struct ElementScope(HtmlWriter writer, int depth) : IDisposable
    {
        public void Dispose()
        {
            if (writer.open.Count != depth)
            {
                throw new InvalidOperationException("Elements were closed out of order.");
            }
            writer.Close();
        }
    }
}
