using System.Globalization;
using Fleetward.Core.Access;
using Fleetward.Core.Devices;
using Fleetward.Server.Dashboard.Html;
using Fleetward.Server.Endpoints;

namespace Fleetward.Server.Dashboard;

/// <summary>A navigation link as the layout shows it.</summary>
public sealed record DashboardNavigationLink(string Title, string Href, bool Current);

/// <summary>
/// The frame around every page: head with the embedded stylesheet, a top bar with the navigation
/// (only pages that exist and the caller may open), who is signed in, and a logout form carrying
/// the session's anti-forgery token.
/// </summary>
public static class DashboardLayout
{
    public const string StylesheetPath = DashboardEndpoints.BasePath + "/assets/dashboard.css";

    public static string Page(string title, IReadOnlyList<DashboardNavigationLink> navigation, string? signedInAs, string? antiForgeryToken, Action<HtmlWriter> body)
    {
        var html = new HtmlWriter();
        html.Doctype();
        using (html.Open("html", ("lang", "en")))
        {
            Head(html, title);
            using (html.Open("body"))
            {
                using (html.Open("header", ("class", "topbar")))
                {
                    using (html.Open("div", ("class", "topbar-inner")))
                    {
                        using (html.Open("a", ("class", "brand"), ("href", DashboardEndpoints.BasePath + "/")))
                        {
                            html.Element("span", "◆", ("class", "brand-mark"), ("aria-hidden", "true"));
                            html.Text("Fleetward");
                        }
                        using (html.Open("nav", ("aria-label", "Main")))
                        {
                            using (html.Open("ul"))
                            {
                                foreach (var link in navigation)
                                {
                                    using (html.Open("li"))
                                    {
                                        html.Element("a", link.Title, ("href", link.Href), ("aria-current", link.Current ? "page" : null),
                                            ("class", link.Current ? "current" : null));
                                    }
                                }
                            }
                        }
                        if (signedInAs is not null && antiForgeryToken is not null)
                        {
                            using (html.Open("form", ("class", "signout"), ("method", "post"), ("action", DashboardEndpoints.BasePath + "/logout")))
                            {
                                html.Element("span", signedInAs, ("class", "who"));
                                html.Void("input", ("type", "hidden"), ("name", Sessions.DashboardSessions.AntiForgeryField), ("value", antiForgeryToken));
                                html.Element("button", "Sign out", ("type", "submit"), ("class", "button button-quiet"));
                            }
                        }
                    }
                }
                using (html.Open("main", ("class", "content")))
                {
                    body(html);
                }
            }
        }
        return html.ToString();
    }

    private static void Head(HtmlWriter html, string title)
    {
        using (html.Open("head"))
        {
            html.Void("meta", ("charset", "utf-8"));
            html.Void("meta", ("name", "viewport"), ("content", "width=device-width, initial-scale=1"));
            html.Void("meta", ("name", "referrer"), ("content", "no-referrer"));
            html.Element("title", title + " · Fleetward");
            html.Void("link", ("rel", "stylesheet"), ("href", StylesheetPath));
        }
    }

    /// <summary>
    /// A one-button form posting to an <see cref="IDashboardAction"/> under /dashboard, with the
    /// session's anti-forgery token and any hidden fields the action reads.
    /// </summary>
    public static void ActionForm(HtmlWriter html, DashboardRequest request, string actionRoute, string buttonLabel, string cssClass,
        params ReadOnlySpan<(string Name, string Value)> fields)
    {
        using (html.Open("form", ("class", cssClass), ("method", "post"), ("action", DashboardEndpoints.BasePath + actionRoute)))
        {
            if (request.AntiForgeryToken is not null)
            {
                html.Void("input", ("type", "hidden"), ("name", Sessions.DashboardSessions.AntiForgeryField), ("value", request.AntiForgeryToken));
            }
            foreach (var (name, value) in fields)
            {
                html.Void("input", ("type", "hidden"), ("name", name), ("value", value));
            }
            html.Element("button", buttonLabel, ("type", "submit"), ("class", "button"));
        }
    }

    /// <summary>
    /// A form posting to an <see cref="IDashboardAction"/> with one visible text field (a reason), the session's
    /// anti-forgery token and any hidden fields; the field is required so an empty reason never leaves the browser.
    /// </summary>
    public static void ReasonForm(HtmlWriter html, DashboardRequest request, string actionRoute, string buttonLabel, string cssClass,
        string fieldName, string fieldLabel, string placeholder, params ReadOnlySpan<(string Name, string Value)> fields)
    {
        using (html.Open("form", ("class", cssClass), ("method", "post"), ("action", DashboardEndpoints.BasePath + actionRoute)))
        {
            if (request.AntiForgeryToken is not null)
            {
                html.Void("input", ("type", "hidden"), ("name", Sessions.DashboardSessions.AntiForgeryField), ("value", request.AntiForgeryToken));
            }
            foreach (var (name, value) in fields)
            {
                html.Void("input", ("type", "hidden"), ("name", name), ("value", value));
            }
            using (html.Open("label"))
            {
                html.Element("span", fieldLabel);
                html.Void("input", ("type", "text"), ("name", fieldName), ("required", "required"), ("maxlength", "500"), ("placeholder", placeholder));
            }
            html.Element("button", buttonLabel, ("type", "submit"), ("class", "button"));
        }
    }

    /// <summary>A status word as a badge whose colour says good, warning, bad, busy or neutral (badge-*).</summary>
    public static void Badge(HtmlWriter html, string text, string tone) =>
        html.Element("span", text, ("class", "badge badge-" + tone));

    /// <summary>One name/value pair of a facts list (<c>dl.facts</c>).</summary>
    public static void Fact(HtmlWriter html, string name, Action value)
    {
        using (html.Open("div", ("class", "fact")))
        {
            html.Element("dt", name);
            using (html.Open("dd"))
            {
                value();
            }
        }
    }

    /// <summary>A fact whose value is plain text, or a muted placeholder when there is none.</summary>
    public static void Fact(HtmlWriter html, string name, string? value, string missing = "none") =>
        Fact(html, name, () =>
        {
            if (string.IsNullOrEmpty(value))
            {
                html.Element("span", missing, ("class", "muted"));
            }
            else
            {
                html.Text(value);
            }
        });

    /// <summary>A duration as people say it: "45 s", "12 min", "3 h 20 min", "2 d 4 h".</summary>
    public static string Duration(TimeSpan span)
    {
        if (span < TimeSpan.Zero)
        {
            span = -span;
        }
        return span switch
        {
            { TotalMinutes: < 1 } => $"{(int)span.TotalSeconds} s",
            { TotalHours: < 1 } => $"{(int)span.TotalMinutes} min",
            { TotalDays: < 1 } => span.Minutes == 0 ? $"{(int)span.TotalHours} h" : $"{(int)span.TotalHours} h {span.Minutes} min",
            _ => span.Hours == 0 ? $"{(int)span.TotalDays} d" : $"{(int)span.TotalDays} d {span.Hours} h",
        };
    }

    /// <summary>A page heading with an optional one-line lead.</summary>
    public static void Heading(HtmlWriter html, string title, string? lead = null)
    {
        using (html.Open("div", ("class", "page-head")))
        {
            html.Element("h1", title);
            if (lead is not null)
            {
                html.Element("p", lead, ("class", "lead"));
            }
        }
    }

    /// <summary>A lifecycle state as a coloured badge.</summary>
    public static void StateBadge(HtmlWriter html, DeviceLifecycleState state) =>
        html.Element("span", state.ToName(), ("class", "badge state-" + state.ToName()));

    /// <summary>The chart tone of a lifecycle state, matching its badge colour.</summary>
    public static string Tone(DeviceLifecycleState state) => "state-" + state.ToName();

    /// <summary>An instant as UTC text with the relative age beside it, e.g. "2026-03-01 12:00 UTC (5 min ago)".</summary>
    public static void Instant(HtmlWriter html, DateTimeOffset? at, DateTimeOffset now)
    {
        if (at is not { } value)
        {
            html.Element("span", "never", ("class", "muted"));
            return;
        }
        using (html.Open("span", ("class", "instant")))
        {
            html.Element("time", value.UtcDateTime.ToString("yyyy-MM-dd HH:mm 'UTC'", CultureInfo.InvariantCulture),
                ("datetime", value.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture)));
            html.Element("span", " (" + Age(now - value) + ")", ("class", "muted"));
        }
    }

    /// <summary>An instant as its relative age only, with the exact UTC time as the tooltip (for dense tables).</summary>
    public static void CompactInstant(HtmlWriter html, DateTimeOffset? at, DateTimeOffset now)
    {
        if (at is not { } value)
        {
            html.Element("span", "never", ("class", "muted"));
            return;
        }
        html.Element("time", Age(now - value), ("class", "instant"),
            ("datetime", value.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture)),
            ("title", value.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss 'UTC'", CultureInfo.InvariantCulture)));
    }

    /// <summary>A short human age such as "just now", "5 min ago", "3 h ago", "12 d ago" or, ahead of now, "in 30 d".</summary>
    public static string Age(TimeSpan age)
    {
        if (age < TimeSpan.Zero)
        {
            return -age < TimeSpan.FromMinutes(1) ? "in under a minute" : "in " + Span(-age);
        }
        return age < TimeSpan.FromMinutes(1) ? "just now" : Span(age) + " ago";

        static string Span(TimeSpan span) => span switch
        {
            { TotalHours: < 1 } => $"{(int)span.TotalMinutes} min",
            { TotalDays: < 2 } => $"{(int)span.TotalHours} h",
            _ => $"{(int)span.TotalDays} d",
        };
    }

    public static string Count(long value) => value.ToString("N0", CultureInfo.InvariantCulture);

    /// <summary>Who is signed in, as the top bar shows it.</summary>
    public static string SignedInAs(string tokenName, OperatorRole role) => tokenName + " · " + role.ToName();
}
