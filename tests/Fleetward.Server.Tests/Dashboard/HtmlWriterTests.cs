using Fleetward.Server.Dashboard.Html;

namespace Fleetward.Server.Tests.Dashboard;

public sealed class HtmlWriterTests
{
    [Fact]
    public void Text_is_encoded_so_markup_in_values_stays_text()
    {
        var html = new HtmlWriter();
        html.Element("td", "<script>alert('x')</script> & \"q\"");
        var text = html.ToString();
        Assert.DoesNotContain("<script>", text);
        Assert.Contains("&lt;script&gt;", text);
        Assert.Contains("&amp;", text);
        Assert.StartsWith("<td>", text);
        Assert.EndsWith("</td>", text);
    }

    [Fact]
    public void Attribute_values_cannot_break_out_of_their_quotes()
    {
        var html = new HtmlWriter();
        html.Void("input", ("value", "\" autofocus onfocus=\"alert(1)"));
        var text = html.ToString();
        Assert.Equal(1, text.Count(c => c == '"') / 2);
        Assert.DoesNotContain("\" autofocus", text);
        Assert.Contains("&quot;", text);
    }

    [Fact]
    public void Null_attributes_are_left_out()
    {
        var html = new HtmlWriter();
        html.Element("a", "x", ("href", "/d"), ("class", null));
        Assert.Equal("<a href=\"/d\">x</a>", html.ToString());
    }

    [Theory]
    [InlineData("onclick")]
    [InlineData("onload")]
    [InlineData("style")]
    public void Inline_script_and_style_attributes_are_refused(string name)
    {
        var html = new HtmlWriter();
        Assert.Throws<ArgumentException>(() => html.Void("input", (name, "x")));
    }

    [Theory]
    [InlineData("script src")]
    [InlineData("a\"b")]
    [InlineData("")]
    [InlineData("Div")]
    public void Names_must_be_plain_identifiers(string name)
    {
        var html = new HtmlWriter();
        Assert.Throws<ArgumentException>(() => html.Element(name, "x"));
    }

    [Theory]
    [InlineData("javascript:alert(1)")]
    [InlineData("data:text/html,<b>")]
    [InlineData("http://example.com/")]
    [InlineData("//evil.example/")]
    [InlineData("/\\evil.example/")]
    public void Links_to_other_schemes_or_protocol_relative_hosts_are_refused(string url)
    {
        var html = new HtmlWriter();
        Assert.Throws<ArgumentException>(() => html.Element("a", "x", ("href", url)));
    }

    [Theory]
    [InlineData("/dashboard/devices?state=active")]
    [InlineData("#top")]
    [InlineData("https://fleetward.dev/")]
    public void Local_paths_and_https_links_are_written(string url)
    {
        var html = new HtmlWriter();
        html.Element("a", "x", ("href", url));
        Assert.Contains("href=", html.ToString());
    }

    [Fact]
    public void Void_and_container_elements_are_not_interchangeable()
    {
        var html = new HtmlWriter();
        Assert.Throws<ArgumentException>(() => html.Open("input"));
        Assert.Throws<ArgumentException>(() => html.Void("div"));
    }

    [Fact]
    public void An_unclosed_element_cannot_be_rendered()
    {
        var html = new HtmlWriter();
        html.Open("div");
        Assert.Throws<InvalidOperationException>(() => html.ToString());
    }

    [Fact]
    public void Scopes_close_in_order()
    {
        var html = new HtmlWriter();
        using (html.Open("ul", ("class", "list")))
        {
            using (html.Open("li"))
            {
                html.Text("one");
            }
        }
        Assert.Equal("<ul class=\"list\"><li>one</li></ul>", html.ToString());
    }

    [Fact]
    public void The_doctype_only_comes_first()
    {
        var html = new HtmlWriter();
        html.Doctype();
        Assert.Throws<InvalidOperationException>(() => html.Doctype());
    }
}
