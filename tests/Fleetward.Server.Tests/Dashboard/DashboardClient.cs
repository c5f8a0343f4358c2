using System.Net;
using System.Text.RegularExpressions;
using Fleetward.Server.Dashboard.Sessions;

namespace Fleetward.Server.Tests.Dashboard;

/// <summary>A browser-like client for dashboard tests: no automatic redirects, cookies kept by hand so each test sees them.</summary>
public sealed partial class DashboardClient(TestServer server) : IDisposable
{
    private readonly HttpClient http = new(Handler(server)) { BaseAddress = server.Server.OperatorAddress };

    public Dictionary<string, string> Cookies { get; } = [];

    public string? SessionCookie => Cookies.GetValueOrDefault(DashboardSessions.CookieName);

    private static SocketsHttpHandler Handler(TestServer server)
    {
        var handler = TestServer.PinnedHandler(server.Certificate);
        handler.AllowAutoRedirect = false;
        handler.UseCookies = false;
        return handler;
    }

    public async Task<HttpResponseMessage> GetPageAsync(string path)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, path);
        request.Headers.Accept.ParseAdd("text/html,application/xhtml+xml");
        return await SendAsync(request);
    }

    public async Task<HttpResponseMessage> PostFormAsync(string path, IEnumerable<KeyValuePair<string, string>> fields)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = new FormUrlEncodedContent(fields) };
        request.Headers.Accept.ParseAdd("text/html");
        return await SendAsync(request);
    }

    public async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request)
    {
        if (Cookies.Count > 0)
        {
            request.Headers.Add("Cookie", string.Join("; ", Cookies.Select(c => c.Key + "=" + c.Value)));
        }
        var response = await http.SendAsync(request);
        if (response.Headers.TryGetValues("Set-Cookie", out var setCookies))
        {
            foreach (var header in setCookies)
            {
                var pair = header.Split(';')[0].Split('=', 2);
                if (header.Contains("expires=Thu, 01 Jan 1970", StringComparison.OrdinalIgnoreCase) || pair[1].Length == 0)
                {
                    Cookies.Remove(pair[0]);
                }
                else
                {
                    Cookies[pair[0]] = pair[1];
                }
            }
        }
        return response;
    }

    /// <summary>Opens the login page and posts the token with the form's anti-forgery value.</summary>
    public async Task<HttpResponseMessage> SignInAsync(string token, string next = "/dashboard/")
    {
        var form = await (await GetPageAsync("/dashboard/login")).Content.ReadAsStringAsync();
        return await PostFormAsync("/dashboard/login",
            [new("token", token), new(DashboardSessions.AntiForgeryField, HiddenField(form, DashboardSessions.AntiForgeryField)), new("next", next)]);
    }

    public static string HiddenField(string html, string name)
    {
        var match = Regex.Match(html, "name=\"" + Regex.Escape(name) + "\" value=\"([^\"]*)\"");
        Assert.True(match.Success, $"no hidden field {name}");
        return WebUtility.HtmlDecode(match.Groups[1].Value);
    }

    public void Dispose() => http.Dispose();
}
