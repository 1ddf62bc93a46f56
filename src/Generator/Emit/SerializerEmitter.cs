using System.Collections.Generic;
using System.Linq;
using Queues.Generator.Model;

namespace Queues.Generator.Emit;

/// <summary>
/// Emits a reflection-free JSON serializer for a payload graph: one <c>Write_</c>/<c>Read_</c> pair per non-primitive
/// type over <c>Utf8JsonWriter</c>/<c>Utf8JsonReader</c>. Property names are camelCase unless [JsonPropertyName] says
/// otherwise; enums are written as their names; unknown JSON properties are skipped.
/// </summary>
internal static class SerializerEmitter
{
    private const string Json = "global::System.Text.Json";

    public static void Write(SourceWriter w, PayloadSpec payload)
    {
        if (payload.Context is not null)
        {
            WriteThroughContext(w, payload, payload.Context);
            return;
        }

        var types = payload.Types.ToDictionary(static t => t.Id);
        var root = payload.Root;

        w.Line("/// <summary>Writes the payload as UTF-8 JSON.</summary>");
        w.Open($"public static global::System.ReadOnlyMemory<byte> Serialize({root.Declared} value)");
        w.Line("var buffer = new global::System.Buffers.ArrayBufferWriter<byte>(256);");
        w.Open($"using (var writer = new {Json}.Utf8JsonWriter(buffer))");
        WriteValue(w, types, root, "value", "the payload");
        w.Close();
        w.Line("return buffer.WrittenMemory;");
        w.Close();
        w.Line();

        w.Line("/// <summary>Reads the payload; bad data becomes a <see cref=\"global::Queues.JobPayloadException\"/> naming the job, its id and the member.</summary>");
        w.Open($"public static {root.Declared} Deserialize(global::System.ReadOnlyMemory<byte> json, global::Queues.JobContext context)");
        w.Open("try");
        // The reader's own default depth limit (64) would fail a payload whose unknown members are deeper (see ReaderOptions).
        w.Line($"var reader = new {Json}.Utf8JsonReader(json.Span, global::Queues.PayloadJson.ReaderOptions);");
        w.Open("if (!reader.Read())");
        w.Line($"throw new {Json}.JsonException(\"the payload is empty\");");
        w.Close();
        w.Line($"{root.Declared} result;");
        ReadValue(w, types, root, "result", "the payload");
        w.Line("return result;");
        w.Close();
        w.Open("catch (global::System.Exception exception) when (global::Queues.PayloadJson.IsDataError(exception))");
        w.Line("throw global::Queues.PayloadJson.PayloadError(context, exception);");
        w.Close();
        w.Close();

        foreach (var type in payload.Types)
        {
            switch (type.Kind)
            {
                case ShapeKind.Object:
                    WriteObjectMethods(w, types, type);
                    break;
                case ShapeKind.Enum:
                    WriteEnumMethods(w, type);
                    break;
                case ShapeKind.Array:
                case ShapeKind.List:
                case ShapeKind.HashSet:
                case ShapeKind.Dictionary:
                    WriteCollectionMethods(w, types, type);
                    break;
            }
        }
    }

    /// <summary>
    /// Serializes through the user's own JsonSerializerContext (the escape hatch): its source-generated
    /// <c>JsonTypeInfo</c>, looked up by type, which is trim- and AOT-safe.
    /// </summary>
    private static void WriteThroughContext(SourceWriter w, PayloadSpec payload, string context)
    {
        var type = payload.RootType;
        w.Line($"/// <summary>The payload's metadata from <see cref=\"{context}\"/>, which serializes it.</summary>");
        w.Line($"private static {Json}.Serialization.Metadata.JsonTypeInfo<{type}> TypeInfo");
        w.Line($"    => ({Json}.Serialization.Metadata.JsonTypeInfo<{type}>)({context}.Default.GetTypeInfo(typeof({type}))");
        w.Line($"        ?? throw new global::System.InvalidOperationException(\"{Header.Xml(context.Replace("global::", ""))} has no metadata for {type.Replace("global::", "")}.\"));");
        w.Line();
        w.Line("/// <summary>Writes the payload as UTF-8 JSON.</summary>");
        w.Line($"public static global::System.ReadOnlyMemory<byte> Serialize({payload.Root.Declared} value)");
        w.Line($"    => {Json}.JsonSerializer.SerializeToUtf8Bytes(value, TypeInfo);");
        w.Line();
        w.Line("/// <summary>Reads the payload; bad data becomes a <see cref=\"global::Queues.JobPayloadException\"/> naming the job and its id.</summary>");
        w.Open($"public static {payload.Root.Declared} Deserialize(global::System.ReadOnlyMemory<byte> json, global::Queues.JobContext context)");
        w.Open("try");
        w.Line(payload.IsValueType
            ? $"return {Json}.JsonSerializer.Deserialize(json.Span, TypeInfo);"
            : $"return {Json}.JsonSerializer.Deserialize(json.Span, TypeInfo) ?? throw global::Queues.PayloadJson.NullNotAllowed(\"the payload\");");
        w.Close();
        w.Open("catch (global::System.Exception exception) when (global::Queues.PayloadJson.IsDataError(exception))");
        w.Line("throw global::Queues.PayloadJson.PayloadError(context, exception);");
        w.Close();
        w.Close();
    }

    /// <summary>
    /// Statements that write <paramref name="expression"/> (of type <paramref name="value"/>) to <c>writer</c>. A null
    /// where the declared type does not allow one is refused here, at enqueue, naming <paramref name="what"/>: written,
    /// it would only fail when a worker reads it back.
    /// </summary>
    private static void WriteValue(SourceWriter w, Dictionary<string, TypeSpec> types, ValueRef value, string expression, string what)
    {
        var type = types[value.TypeId];
        if (!type.IsValueType && type.Kind != ShapeKind.Nullable && !value.AllowNull)
        {
            w.Line($"if ({expression} is null) throw global::Queues.PayloadJson.NullNotAllowedAtEnqueue({Header.Literal(what)});");
            w.Line(type.Kind == ShapeKind.Primitive ? PrimitiveWrite(type.Primitive, expression, what) + ";" : $"Write_{type.Id}(writer, {expression});");
            return;
        }

        switch (type.Kind)
        {
            case ShapeKind.Nullable:
                var local = "__" + expression.Replace('.', '_');
                w.Open($"if ({expression} is {{ }} {local})");
                WriteValue(w, types, type.Element!, local, what);
                w.Close();
                w.Line("else writer.WriteNullValue();");
                return;
            case ShapeKind.Primitive when !type.IsValueType:
                w.Line($"if ({expression} is null) writer.WriteNullValue(); else {PrimitiveWrite(type.Primitive, expression, what)};");
                return;
            case ShapeKind.Primitive:
                w.Line(PrimitiveWrite(type.Primitive, expression, what) + ";");
                return;
            case ShapeKind.Enum:
                // The enum's writer refuses a value no member defines, naming what it was written for.
                w.Line($"Write_{type.Id}(writer, {expression}, {Header.Literal(what)});");
                return;
            default:
                w.Line($"Write_{type.Id}(writer, {expression});");
                return;
        }
    }

    /// <summary>Statements that read the value at the reader's current token into <paramref name="target"/>.</summary>
    private static void ReadValue(SourceWriter w, Dictionary<string, TypeSpec> types, ValueRef value, string target, string what)
    {
        var type = types[value.TypeId];
        if (type.Kind == ShapeKind.Nullable)
        {
            var element = types[type.Element!.TypeId];
            w.Line($"if (reader.TokenType == {Json}.JsonTokenType.Null) {target} = null; else {target} = {ReadExpression(element)};");
            return;
        }

        if (type.IsValueType)
        {
            w.Line($"{target} = {ReadExpression(type)};");
            return;
        }

        var onNull = value.AllowNull ? $"{target} = null" : $"throw global::Queues.PayloadJson.NullNotAllowed({Header.Literal(what)})";
        w.Line($"if (reader.TokenType == {Json}.JsonTokenType.Null) {onNull}; else {target} = {ReadExpression(type)};");
    }

    private static string ReadExpression(TypeSpec type) => type.Kind == ShapeKind.Primitive
        ? PrimitiveRead(type.Primitive)
        : $"Read_{type.Id}(ref reader)";

    private static void WriteObjectMethods(SourceWriter w, Dictionary<string, TypeSpec> types, TypeSpec type)
    {
        var display = Display(type);
        w.Line();
        w.Open($"private static void Write_{type.Id}({Json}.Utf8JsonWriter writer, {type.FullName}{(type.IsValueType ? "" : "?")} value)");
        if (!type.IsValueType)
        {
            w.Line("if (value is null) { writer.WriteNullValue(); return; }");
        }

        w.Line("writer.WriteStartObject();");
        foreach (var member in type.Members.Where(static m => m.Readable))
        {
            w.Line($"writer.WritePropertyName({Header.Literal(member.JsonName)}u8);");
            WriteValue(w, types, member.Value, "value." + member.PropertyName, $"{display}.{member.PropertyName}");
        }

        w.Line("writer.WriteEndObject();");
        w.Close();

        w.Line();
        w.Open($"private static {type.FullName} Read_{type.Id}(ref {Json}.Utf8JsonReader reader)");
        w.Line($"global::Queues.PayloadJson.Expect(ref reader, {Json}.JsonTokenType.StartObject, {Header.Literal(display)});");
        var settable = type.Members.Where(static m => m.Writable).ToList();
        for (var i = 0; i < settable.Count; i++)
        {
            var member = settable[i];
            w.Line($"{member.Value.Declared} p{i} = {member.DefaultValue ?? "default!"};");
            if (NeedsPresenceFlag(member))
            {
                w.Line($"bool has{i} = false;");
            }
        }

        w.Open($"while (reader.Read() && reader.TokenType != {Json}.JsonTokenType.EndObject)");
        for (var i = 0; i < settable.Count; i++)
        {
            var member = settable[i];
            w.Open($"{(i == 0 ? "" : "else ")}if (reader.ValueTextEquals({Header.Literal(member.JsonName)}u8))");
            w.Line("reader.Read();");
            w.Open("try");
            ReadValue(w, types, member.Value, $"p{i}", $"{display}.{member.PropertyName}");
            w.Close();
            w.Open("catch (global::System.Exception exception) when (global::Queues.PayloadJson.IsDataError(exception))");
            w.Line($"throw global::Queues.PayloadJson.InvalidMember({Header.Literal(display)}, {Header.Literal(member.PropertyName)}, exception);");
            w.Close();
            if (NeedsPresenceFlag(member))
            {
                w.Line($"has{i} = true;");
            }

            w.Close();
        }

        w.Open(settable.Count == 0 ? "" : "else");
        w.Line("reader.Read();");
        w.Line("reader.Skip();");
        w.Close();
        w.Close();

        for (var i = 0; i < settable.Count; i++)
        {
            var member = settable[i];
            if (member.Required)
            {
                w.Line($"if (!has{i}) throw global::Queues.PayloadJson.MissingMember({Header.Literal(display)}, {Header.Literal(member.PropertyName)}, {Header.Literal(member.JsonName)});");
            }
        }

        var arguments = settable
            .Select(static (m, i) => (Member: m, Index: i))
            .Where(static x => x.Member.ConstructorIndex >= 0)
            .OrderBy(static x => x.Member.ConstructorIndex)
            .Select(static x => $"p{x.Index}");
        var initializers = settable
            .Select(static (m, i) => (Member: m, Index: i))
            .Where(static x => x.Member.ConstructorIndex < 0 && x.Member.Required)
            .Select(static x => $"{x.Member.PropertyName} = p{x.Index}")
            .ToList();
        var initializer = initializers.Count == 0 ? "" : " { " + string.Join(", ", initializers) + " }";
        w.Line($"var result = new {type.FullName}({string.Join(", ", arguments)}){initializer};");
        for (var i = 0; i < settable.Count; i++)
        {
            var member = settable[i];
            if (member.ConstructorIndex < 0 && !member.Required)
            {
                // An optional init-only member keeps its initializer's value when absent: set it through an accessor
                // after construction (AOT-safe, no reflection), as System.Text.Json's generator does.
                w.Line(member.InitOnly
                    ? $"if (has{i}) Init_{type.Id}_{member.PropertyName}({(type.IsValueType ? "ref " : "")}result, p{i});"
                    : $"if (has{i}) result.{member.PropertyName} = p{i};");
            }
        }

        w.Line("return result;");
        w.Close();

        foreach (var member in settable.Where(static m => m.ConstructorIndex < 0 && !m.Required && m.InitOnly))
        {
            w.Line();
            w.Line($"[global::System.Runtime.CompilerServices.UnsafeAccessor(global::System.Runtime.CompilerServices.UnsafeAccessorKind.Method, Name = \"set_{member.PropertyName}\")]");
            w.Line($"private static extern void Init_{type.Id}_{member.PropertyName}({(type.IsValueType ? "ref " : "")}{type.FullName} target, {member.Value.Declared} value);");
        }
    }

    /// <summary>
    /// Whether reading <paramref name="member"/> needs a <c>has{i}</c> flag: to reject a missing required member, or to
    /// set a settable or init-only property only when present. Unused flags would be CS0219 warnings in the user's build.
    /// </summary>
    private static bool NeedsPresenceFlag(MemberSpec member)
        => member.Required || member.ConstructorIndex < 0;

    /// <summary>
    /// An enum's writer and reader. Only defined values pass, at enqueue (an <c>ArgumentException</c> naming the member)
    /// and when read (a payload error): a number no member defines, written by SQL or cast in code, is a bug the
    /// handler's <c>switch</c> would meet with no case for it. A [Flags] enum takes any combination of its members'
    /// bits. The check is a switch over the members (a mask for [Flags]), not <c>Enum.IsDefined</c>: no reflection.
    /// </summary>
    private static void WriteEnumMethods(SourceWriter w, TypeSpec type)
    {
        var display = Header.Literal(Display(type));
        var number = NumberType(type.EnumUnderlying);
        var mask = $"({number})(({type.FullName})0{string.Concat(type.EnumMembers.Select(m => $" | {type.FullName}.{m.Name}"))})";
        w.Line();
        w.Open($"private static void Write_{type.Id}({Json}.Utf8JsonWriter writer, {type.FullName} value, string what)");
        w.Open("switch (value)");
        foreach (var member in type.EnumMembers)
        {
            w.Line($"case {type.FullName}.{member.Name}: writer.WriteStringValue({Header.Literal(member.JsonName)}u8); break;");
        }

        w.Open("default:");
        if (type.EnumIsFlags)
        {
            // A combination of flags is written as its number, as it is read.
            w.Line($"if ((({number})value & ~{mask}) != 0) throw global::Queues.PayloadJson.UndefinedEnumAtEnqueue(what, {display}, (({number})value).ToString(global::System.Globalization.CultureInfo.InvariantCulture), flags: true);");
            w.Line($"writer.WriteNumberValue(({number})value);");
            w.Line("break;");
        }
        else
        {
            w.Line($"throw global::Queues.PayloadJson.UndefinedEnumAtEnqueue(what, {display}, (({number})value).ToString(global::System.Globalization.CultureInfo.InvariantCulture), flags: false);");
        }

        w.Close();
        w.Close();
        w.Close();

        w.Line();
        w.Open($"private static {type.FullName} Read_{type.Id}(ref {Json}.Utf8JsonReader reader)");
        w.Open($"if (reader.TokenType == {Json}.JsonTokenType.Number)");
        w.Line($"var number = ({type.FullName}){NumberRead(type.EnumUnderlying)};");
        if (type.EnumIsFlags)
        {
            w.Line($"if ((({number})number & ~{mask}) != 0) throw global::Queues.PayloadJson.UndefinedEnum({display}, (({number})number).ToString(global::System.Globalization.CultureInfo.InvariantCulture), flags: true);");
            w.Line("return number;");
        }
        else
        {
            if (type.EnumMembers.Count > 0)
            {
                w.Open("switch (number)");
                foreach (var member in type.EnumMembers)
                {
                    w.Line($"case {type.FullName}.{member.Name}:");
                }

                w.Line("    return number;");
                w.Close();
            }

            w.Line($"throw global::Queues.PayloadJson.UndefinedEnum({display}, (({number})number).ToString(global::System.Globalization.CultureInfo.InvariantCulture), flags: false);");
        }

        w.Close();
        w.Line("var text = reader.GetString();");
        w.Open("switch (text)");
        foreach (var member in type.EnumMembers)
        {
            w.Line($"case {Header.Literal(member.JsonName)}: return {type.FullName}.{member.Name};");
        }

        w.Close();
        w.Line($"throw new {Json}.JsonException(\"'\" + text + \"' is not a value of {Display(type)}\");");
        w.Close();
    }

    private static void WriteCollectionMethods(SourceWriter w, Dictionary<string, TypeSpec> types, TypeSpec type)
    {
        var element = type.Element!;
        w.Line();
        w.Open($"private static void Write_{type.Id}({Json}.Utf8JsonWriter writer, {type.FullName}? value)");
        w.Line("if (value is null) { writer.WriteNullValue(); return; }");
        if (type.Kind == ShapeKind.Dictionary)
        {
            w.Line("writer.WriteStartObject();");
            w.Open("foreach (var pair in value)");
            w.Line($"global::Queues.PayloadJson.WritePropertyName(writer, pair.Key, {Header.Literal($"a key of {Display(type)}")});");
            WriteValue(w, types, element, "pair.Value", $"a value of {Display(type)}");
            w.Close();
            w.Line("writer.WriteEndObject();");
        }
        else
        {
            w.Line("writer.WriteStartArray();");
            w.Open("foreach (var item in value)");
            WriteValue(w, types, element, "item", $"an item of {Display(type)}");
            w.Close();
            w.Line("writer.WriteEndArray();");
        }

        w.Close();

        w.Line();
        w.Open($"private static {type.FullName} Read_{type.Id}(ref {Json}.Utf8JsonReader reader)");
        var what = Header.Literal(Display(type));
        if (type.Kind == ShapeKind.Dictionary)
        {
            w.Line($"global::Queues.PayloadJson.Expect(ref reader, {Json}.JsonTokenType.StartObject, {what});");
            w.Line($"var result = new global::System.Collections.Generic.Dictionary<string, {element.Declared}>();");
            w.Open($"while (reader.Read() && reader.TokenType != {Json}.JsonTokenType.EndObject)");
            w.Line("var key = reader.GetString()!;");
            w.Line("reader.Read();");
            w.Line($"{element.Declared} item;");
            ReadValue(w, types, element, "item", "a dictionary value");
            w.Line("result[key] = item;");
            w.Close();
            w.Line("return result;");
        }
        else
        {
            w.Line($"global::Queues.PayloadJson.Expect(ref reader, {Json}.JsonTokenType.StartArray, {what});");
            var collection = type.Kind == ShapeKind.HashSet ? "HashSet" : "List";
            w.Line($"var result = new global::System.Collections.Generic.{collection}<{element.Declared}>();");
            w.Open($"while (reader.Read() && reader.TokenType != {Json}.JsonTokenType.EndArray)");
            w.Line($"{element.Declared} item;");
            ReadValue(w, types, element, "item", "an element");
            w.Line("result.Add(item);");
            w.Close();
            w.Line(type.Kind == ShapeKind.Array ? "return result.ToArray();" : "return result;");
        }

        w.Close();
    }

    /// <summary>
    /// The call that writes primitive <paramref name="x"/>. Text from the caller (strings, chars) goes through a helper
    /// that refuses a lone UTF-16 surrogate naming <paramref name="what"/>: the writer would store it as U+FFFD, silently.
    /// </summary>
    private static string PrimitiveWrite(Primitive primitive, string x, string what) => primitive switch
    {
        Primitive.String => $"global::Queues.PayloadJson.WriteString(writer, {x}, {Header.Literal(what)})",
        Primitive.Char => $"global::Queues.PayloadJson.WriteChar(writer, {x}, {Header.Literal(what)})",
        Primitive.Guid or Primitive.DateTime or Primitive.DateTimeOffset => $"writer.WriteStringValue({x})",
        Primitive.Boolean => $"writer.WriteBooleanValue({x})",
        Primitive.Byte or Primitive.UInt16 or Primitive.UInt32 => $"writer.WriteNumberValue((uint){x})",
        Primitive.SByte or Primitive.Int16 or Primitive.Int32 => $"writer.WriteNumberValue((int){x})",
        Primitive.Int64 or Primitive.UInt64 or Primitive.Single or Primitive.Double or Primitive.Decimal => $"writer.WriteNumberValue({x})",
        Primitive.Bytes => $"writer.WriteBase64StringValue({x})",
        // As System.Text.Json writes it: the constant TimeSpan format, so no fraction when it is zero.
        Primitive.TimeOnly => $"writer.WriteStringValue({x}.ToTimeSpan().ToString(\"c\", global::System.Globalization.CultureInfo.InvariantCulture))",
        _ => $"global::Queues.PayloadJson.Write{primitive}(writer, {x})",
    };

    private static string PrimitiveRead(Primitive primitive) => primitive switch
    {
        Primitive.String => "reader.GetString()!",
        Primitive.Bytes => "reader.GetBytesFromBase64()",
        Primitive.Char or Primitive.DateOnly or Primitive.TimeOnly or Primitive.TimeSpan or Primitive.Uri => $"global::Queues.PayloadJson.Read{primitive}(ref reader)",
        _ => $"reader.Get{primitive}()",
    };

    private static string NumberType(string underlying) => underlying switch
    {
        "byte" or "ushort" or "uint" => "uint",
        "ulong" => "ulong",
        "long" => "long",
        _ => "int",
    };

    private static string NumberRead(string underlying) => underlying switch
    {
        "byte" => "reader.GetByte()",
        "sbyte" => "reader.GetSByte()",
        "short" => "reader.GetInt16()",
        "ushort" => "reader.GetUInt16()",
        "uint" => "reader.GetUInt32()",
        "long" => "reader.GetInt64()",
        "ulong" => "reader.GetUInt64()",
        _ => "reader.GetInt32()",
    };

    private static string Display(TypeSpec type) => type.FullName.Replace("global::", "");
}
