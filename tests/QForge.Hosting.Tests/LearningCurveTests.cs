using System.Globalization;
using System.Text.RegularExpressions;

namespace QForge.Hosting.Tests;

/// <summary>The SVG learning curve: every point drawn, the moving average over a fiftieth of the points, labels escaped.</summary>
public sealed partial class LearningCurveTests
{
    [GeneratedRegex("<polyline[^>]*points=\"([^\"]*)\"")]
    private static partial Regex Polyline();

    private static (double X, double Y)[][] Lines(string svg) =>
        [.. Polyline().Matches(svg).Select(m => m.Groups[1].Value.Split(' ')
            .Select(p => p.Split(','))
            .Select(p => (double.Parse(p[0], CultureInfo.InvariantCulture), double.Parse(p[1], CultureInfo.InvariantCulture)))
            .ToArray())];

    [Fact]
    public void The_moving_average_covers_a_fiftieth_of_the_points_and_every_point_is_drawn()
    {
        // 200 points with returns 0..199 at steps 10, 20, ...: the window is 4, so the average at i >= 3 is i - 1.5.
        var points = Enumerable.Range(0, 200).Select(i => ((long)(10 * (i + 1)), (double)i)).ToList();
        var lines = Lines(LearningCurve.Svg(points, "7"));

        Assert.Equal(2, lines.Length);
        Assert.All(lines, line => Assert.Equal(200, line.Length));
        static double Y(double value) => 350 - value / 199 * 300;
        static double X(long step) => 50 + (step - 10) / 1990.0 * 700;
        Assert.Equal((X(10), Y(0)), lines[0][0]);
        Assert.Equal((X(2000), Y(199)), lines[0][199]);
        Assert.Equal(Y(0.5), lines[1][1].Y, 1); // the first points average what there is
        Assert.Equal(Y(1), lines[1][2].Y, 1);
        for (int i = 3; i < 200; i++) Assert.Equal(Y(i - 1.5), lines[1][i].Y, 1);
    }

    [Fact]
    public void One_point_and_a_label_with_markup_make_a_valid_picture()
    {
        string svg = LearningCurve.Svg([(5L, 1.0)], "<1&2>");
        Assert.Contains("seed &lt;1&amp;2&gt;", svg);
        Assert.Equal([1, 1], Lines(svg).Select(l => l.Length));
        Assert.EndsWith("</svg>", svg);
        Assert.DoesNotContain("NaN", svg);
        Assert.DoesNotContain("Infinity", svg);
    }
}
