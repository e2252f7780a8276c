using System.Text.Json.Nodes;
using System.Xml;
using System.Xml.Linq;
using System.Xml.Schema;

namespace Reimburse.Testing.Accounting;

/// <summary>Checks QuickBooks Online v3 entity JSON against Intuit's published XSDs (Contracts/quickbooks, Apache-2.0).
/// QuickBooks' JSON is its XML with the same element names: the JSON is written as XML in the order of the type's schema
/// sequences (a member the type does not define is an error), a ReferenceType's <c>value</c> becomes its text and its other
/// members its attributes; then System.Xml.Schema validates the XML against the type — element types, enumerations,
/// required elements, cardinality.</summary>
public static class QuickBooksContract
{
    public const string Namespace = "http://schema.intuit.com/finance/v3";
    private static readonly Lazy<XmlSchemaSet> Schemas = new(Load);

    private static string Folder => Path.Combine(AppContext.BaseDirectory, "Accounting", "Contracts", "quickbooks");

    private static XmlSchemaSet Load()
    {
        var set = new XmlSchemaSet { XmlResolver = new XmlUrlResolver() };
        // Finance.xsd defines the types; the service definition that declares the root elements (IntuitRestServiceDef.xsd)
        // also needs Report.xsd, so two root elements are declared here for the types under test.
        var roots = $"""
            <xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema" xmlns="{Namespace}" targetNamespace="{Namespace}" elementFormDefault="qualified">
              <xs:include schemaLocation="{new Uri(Path.Combine(Folder, "Finance.xsd")).AbsoluteUri}"/>
              <xs:element name="Bill" type="Bill"/>
              <xs:element name="Attachable" type="Attachable"/>
            </xs:schema>
            """;
        using var reader = XmlReader.Create(new StringReader(roots));
        set.Add(XmlSchema.Read(reader, null)!);
        set.Compile();
        return set;
    }

    /// <summary>Every violation (empty when the entity conforms).</summary>
    public static IReadOnlyList<string> Validate(string entity, string json)
    {
        var errors = new List<string>();
        var node = JsonNode.Parse(json) as JsonObject;
        if (node is null) return ["not a JSON object"];
        var root = (XmlSchemaElement)Schemas.Value.GlobalElements[new XmlQualifiedName(entity, Namespace)]!;
        var xml = new XDocument(ToXml(entity, node, (XmlSchemaComplexType)root.ElementSchemaType!, errors, "$"));
        xml.Validate(Schemas.Value, (_, e) => errors.Add($"{e.Severity}: {e.Message}"));
        return errors;
    }

    private static XElement ToXml(string name, JsonObject obj, XmlSchemaComplexType type, List<string> errors, string at)
    {
        var element = new XElement(XName.Get(name, Namespace));
        if (type.ContentType == XmlSchemaContentType.TextOnly)
        {
            // Simple content with attributes (ReferenceType): value is the text, the rest are attributes.
            foreach (var (k, v) in obj)
            {
                if (k == "value") element.Value = Text(v);
                else if (type.AttributeUses.Contains(new XmlQualifiedName(k))) element.SetAttributeValue(k, Text(v));
                else errors.Add($"{at}.{k}: not an attribute of {type.Name}");
            }
            return element;
        }
        var order = new List<XmlSchemaElement>();
        Flatten(type.ContentTypeParticle, order);
        var known = order.Select(e => e.QualifiedName.Name).ToHashSet(StringComparer.Ordinal);
        foreach (var k in obj.Select(p => p.Key).Where(k => !known.Contains(k)))
        {
            if (type.AttributeUses.Contains(new XmlQualifiedName(k))) element.SetAttributeValue(k, Text(obj[k]));
            else errors.Add($"{at}.{k}: {type.Name} has no element {k}");
        }
        foreach (var child in order)
        {
            if (!obj.TryGetPropertyValue(child.QualifiedName.Name, out var value)) continue;
            foreach (var item in value is JsonArray arr ? arr.ToList() : [value])
            {
                element.Add(child.ElementSchemaType is XmlSchemaComplexType ct && item is JsonObject o
                    ? ToXml(child.QualifiedName.Name, o, ct, errors, $"{at}.{child.QualifiedName.Name}")
                    : new XElement(XName.Get(child.QualifiedName.Name, Namespace), Text(item)));
            }
        }
        return element;
    }

    private static void Flatten(XmlSchemaParticle? particle, List<XmlSchemaElement> into)
    {
        switch (particle)
        {
            case XmlSchemaElement e:
                if (into.All(x => x.QualifiedName != e.QualifiedName)) into.Add(e);
                break;
            case XmlSchemaGroupBase group:
                foreach (var item in group.Items) Flatten(item as XmlSchemaParticle, into);
                break;
        }
    }

    private static string Text(JsonNode? node) => node switch
    {
        null => "",
        JsonValue v when v.GetValueKind() == System.Text.Json.JsonValueKind.String => v.GetValue<string>(),
        _ => node.ToJsonString(),
    };
}
