using System.Text.RegularExpressions;

namespace Reimburse.Functions.Privacy;

/// <summary>Masks Hong Kong identity card numbers, phone numbers and bank account numbers in free text before an auditor
/// sees it (PDPO data minimisation): auditors need to know that such data was there, not what it was.</summary>
public static partial class PersonalDataMasker
{
    // Bank accounts first: they are the longest digit runs and would otherwise be half-eaten by the phone rule.
    [GeneratedRegex(@"(?<![\w.])\d{3}[\s-]\d{3}[\s-]\d{3,9}(?:[\s-]\d{1,3})?(?![\w.])|(?<![\w.])\d{9,19}(?![\w.])", RegexOptions.CultureInvariant)]
    private static partial Regex BankAccount();

    // HKID: one or two letters, six digits, check digit (0-9 or A), usually in brackets: A123456(7), AB9876543.
    [GeneratedRegex(@"(?<![A-Za-z0-9])([A-Za-z]{1,2})\d{6}\s?(?:\(\s?[0-9Aa]\s?\)|[0-9Aa])(?![A-Za-z0-9])", RegexOptions.CultureInvariant)]
    private static partial Regex HongKongId();

    // HK phone: optional +852 / 852, then 8 digits starting 2-9, optionally split 4-4.
    [GeneratedRegex(@"(?<![\w.])(?:\+?852[\s-]?)?[2-9]\d{3}[\s-]?\d{4}(?![\w.])", RegexOptions.CultureInvariant)]
    private static partial Regex Phone();

    public static string Mask(string? text)
    {
        if (string.IsNullOrEmpty(text))
        {
            return text ?? "";
        }
        var s = BankAccount().Replace(text, m => "[bank ****" + LastDigits(m.Value, 3) + "]");
        s = HongKongId().Replace(s, m => "[HKID " + m.Groups[1].Value.ToUpperInvariant() + "******(*)]");
        s = Phone().Replace(s, m => "[phone ****" + LastDigits(m.Value, 2) + "]");
        return s;
    }

    private static string LastDigits(string value, int count)
    {
        var digits = new string(value.Where(char.IsAsciiDigit).ToArray());
        return digits.Length <= count ? "" : digits[^count..];
    }
}
