namespace Fleetward.Core.Rollouts;

/// <summary>
/// A five-field cron schedule (minute hour day-of-month month day-of-week) matched against local wall-clock
/// time. Supports <c>*</c>, numbers, ranges <c>a-b</c>, steps <c>*/n</c> and <c>a-b/n</c>, lists, and
/// month/day names (JAN-DEC, SUN-SAT; 7 is also Sunday). As in Vixie cron, when both day-of-month and
/// day-of-week are restricted a day matches if either does.
/// </summary>
public sealed class CronSchedule
{
    private static readonly string[] FieldNames = ["minute", "hour", "day-of-month", "month", "day-of-week"];
    private static readonly string[] MonthNames = ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"];
    private static readonly string[] DayNames = ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"];
    private static readonly int[] DaysInMonthMax = [31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

    private readonly ulong _minutes;
    private readonly ulong _hours;
    private readonly ulong _daysOfMonth;
    private readonly ulong _months;
    private readonly ulong _daysOfWeek;
    private readonly bool _dayOfMonthRestricted;
    private readonly bool _dayOfWeekRestricted;

    private CronSchedule(string expression, ulong[] sets, bool domRestricted, bool dowRestricted)
    {
        Expression = expression;
        _minutes = sets[0];
        _hours = sets[1];
        _daysOfMonth = sets[2];
        _months = sets[3];
        _daysOfWeek = sets[4];
        _dayOfMonthRestricted = domRestricted;
        _dayOfWeekRestricted = dowRestricted;
    }

    /// <summary>The expression as given (what storage persists).</summary>
    public string Expression { get; }

    /// <exception cref="CronFormatException">The expression is malformed; the exception names the cron field.</exception>
    public static CronSchedule Parse(string expression)
    {
        ArgumentNullException.ThrowIfNull(expression);
        var parts = expression.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
        if (parts.Length != 5)
            throw new CronFormatException("expression", $"expected 5 fields (minute hour day-of-month month day-of-week), got {parts.Length}");

        var sets = new ulong[5];
        sets[0] = ParseField(parts[0], 0, 0, 59, null);
        sets[1] = ParseField(parts[1], 1, 0, 23, null);
        sets[2] = ParseField(parts[2], 2, 1, 31, null);
        sets[3] = ParseField(parts[3], 3, 1, 12, MonthNames);
        var dow = ParseField(parts[4], 4, 0, 7, DayNames);
        if ((dow & (1UL << 7)) != 0)
            dow = (dow & ~(1UL << 7)) | 1UL;
        sets[4] = dow;

        var domRestricted = !parts[2].StartsWith('*');
        var dowRestricted = !parts[4].StartsWith('*');
        if (domRestricted && !dowRestricted && !AnyDayExists(sets[2], sets[3]))
            throw new CronFormatException("day-of-month", "no selected month has any of the selected days, so the schedule never fires");
        return new CronSchedule(expression, sets, domRestricted, dowRestricted);
    }

    /// <summary>True when the schedule fires at this local wall-clock minute (seconds are ignored).</summary>
    public bool Matches(DateTime local) =>
        Has(_minutes, local.Minute) && Has(_hours, local.Hour) && MatchesDay(local);

    /// <summary>True when some minute of this local calendar day fires.</summary>
    public bool MatchesDay(DateTime localDate)
    {
        if (!Has(_months, localDate.Month))
            return false;
        var dom = Has(_daysOfMonth, localDate.Day);
        var dow = Has(_daysOfWeek, (int)localDate.DayOfWeek);
        if (_dayOfMonthRestricted && _dayOfWeekRestricted)
            return dom || dow;
        return dom && dow;
    }

    internal bool HasHour(int hour) => Has(_hours, hour);

    internal bool HasMinute(int minute) => Has(_minutes, minute);

    public override string ToString() => Expression;

    private static bool Has(ulong set, int value) => (set & (1UL << value)) != 0;

    private static bool AnyDayExists(ulong days, ulong months)
    {
        for (var m = 1; m <= 12; m++)
        {
            if (!Has(months, m))
                continue;
            for (var d = 1; d <= DaysInMonthMax[m - 1]; d++)
            {
                if (Has(days, d))
                    return true;
            }
        }
        return false;
    }

    private static ulong ParseField(string text, int index, int min, int max, string[]? names)
    {
        var field = FieldNames[index];
        ulong set = 0;
        foreach (var item in text.Split(','))
        {
            if (item.Length == 0)
                throw new CronFormatException(field, $"empty list item in '{text}'");

            var rangeText = item;
            var step = 1;
            var slash = item.IndexOf('/');
            if (slash >= 0)
            {
                rangeText = item[..slash];
                if (!int.TryParse(item[(slash + 1)..], out step) || step < 1)
                    throw new CronFormatException(field, $"step in '{item}' must be a positive number");
            }

            int low, high;
            if (rangeText == "*")
            {
                low = min;
                high = max;
            }
            else
            {
                var dash = rangeText.IndexOf('-');
                if (dash >= 0)
                {
                    low = ParseValue(rangeText[..dash], field, min, max, names);
                    high = ParseValue(rangeText[(dash + 1)..], field, min, max, names);
                    if (high < low)
                        throw new CronFormatException(field, $"range '{rangeText}' runs backwards");
                }
                else
                {
                    low = ParseValue(rangeText, field, min, max, names);
                    high = slash >= 0 ? max : low;
                }
            }

            for (var v = low; v <= high; v += step)
                set |= 1UL << v;
        }
        return set;
    }

    private static int ParseValue(string text, string field, int min, int max, string[]? names)
    {
        if (names is not null)
        {
            var index = Array.FindIndex(names, n => string.Equals(n, text, StringComparison.OrdinalIgnoreCase));
            if (index >= 0)
                return index + (names.Length == 12 ? 1 : 0);
        }
        if (!int.TryParse(text, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var value))
            throw new CronFormatException(field, $"'{text}' is not a number");
        if (value < min || value > max)
            throw new CronFormatException(field, $"{value} is outside {min}-{max}");
        return value;
    }
}

/// <summary>A cron expression that cannot be parsed; <see cref="Field"/> names the offending cron field.</summary>
public sealed class CronFormatException(string field, string message)
    : FormatException($"cron {field}: {message}")
{
    public string Field { get; } = field;
}
