using Fleetward.Server.Dashboard.Html;
using Fleetward.Server.Endpoints;

namespace Fleetward.Server.Dashboard;

/// <summary>The sign-in page: paste an API token; nothing else on it.</summary>
public static class DashboardLoginPage
{
    public static string Render(string antiForgery, string next, string? error)
    {
        var html = new HtmlWriter();
        html.Doctype();
        using (html.Open("html", ("lang", "en")))
        {
            using (html.Open("head"))
            {
                html.Void("meta", ("charset", "utf-8"));
                html.Void("meta", ("name", "viewport"), ("content", "width=device-width, initial-scale=1"));
                html.Void("meta", ("name", "referrer"), ("content", "no-referrer"));
                html.Element("title", "Sign in · Fleetward");
                html.Void("link", ("rel", "stylesheet"), ("href", DashboardLayout.StylesheetPath));
            }
            using (html.Open("body", ("class", "login-body")))
            using (html.Open("main", ("class", "login")))
            {
                using (html.Open("div", ("class", "login-brand")))
                {
                    html.Element("span", "◆", ("class", "brand-mark"), ("aria-hidden", "true"));
                    html.Text("Fleetward");
                }
                using (html.Open("form", ("class", "card login-card"), ("method", "post"), ("action", DashboardEndpoints.LoginPath)))
                {
                    html.Element("h1", "Sign in");
                    html.Element("p", "Paste an operator API token (auditor role or above). Create one with 'fleetward token create'.", ("class", "muted"));
                    if (error is not null)
                    {
                        html.Element("p", error, ("class", "alert"), ("role", "alert"));
                    }
                    using (html.Open("label", ("for", "token")))
                    {
                        html.Text("API token");
                    }
                    html.Void("input", ("id", "token"), ("name", "token"), ("type", "password"), ("autocomplete", "off"), ("spellcheck", "false"),
                        ("required", "required"), ("placeholder", "fw_…"), ("autofocus", "autofocus"));
                    html.Void("input", ("type", "hidden"), ("name", Sessions.DashboardSessions.AntiForgeryField), ("value", antiForgery));
                    html.Void("input", ("type", "hidden"), ("name", "next"), ("value", next));
                    html.Element("button", "Sign in", ("type", "submit"), ("class", "button button-wide"));
                    html.Element("p", "The session lasts at most one hour and ends when the token is revoked or expires.", ("class", "fine-print"));
                }
            }
        }
        return html.ToString();
    }
}
