using System.Text.RegularExpressions;

namespace Reimburse.Core.Company;

/// <summary>E.164 phone numbers as SMS and voice providers take them: "+", a country code, at most 15 digits, with the
/// national lengths of the numbers this product dials checked (Hong Kong +852: 8 digits; mainland China +86: an 11-digit
/// mobile starting with 1). Other country codes are accepted by the general E.164 shape.</summary>
public static partial class PhoneNumber
{
    /// <summary>Null when <paramref name="value"/> is a valid E.164 number, else why not.</summary>
    public static string? Validate(string? value)
    {
        if (string.IsNullOrEmpty(value))
        {
            return "A phone number is required.";
        }
        if (!E164().IsMatch(value))
        {
            return $"'{value}' is not an E.164 number (+ then country code and number, digits only, at most 15).";
        }
        if (value.StartsWith("+852", StringComparison.Ordinal) && !HongKong().IsMatch(value))
        {
            return $"'{value}': a Hong Kong number is +852 and 8 digits starting with 2, 3, 4, 5, 6, 7, 8 or 9.";
        }
        if (value.StartsWith("+86", StringComparison.Ordinal) && !Mainland().IsMatch(value))
        {
            return $"'{value}': a mainland China mobile is +86 and 11 digits starting with 1.";
        }
        return null;
    }

    public static bool IsValid(string? value) => Validate(value) is null;

    [GeneratedRegex(@"^\+[1-9][0-9]{6,14}$")]
    private static partial Regex E164();

    [GeneratedRegex(@"^\+852[2-9][0-9]{7}$")]
    private static partial Regex HongKong();

    [GeneratedRegex(@"^\+861[3-9][0-9]{9}$")]
    private static partial Regex Mainland();
}
