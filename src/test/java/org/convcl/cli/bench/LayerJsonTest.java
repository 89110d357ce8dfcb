package org.convcl.cli.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.LinkedHashMap;
import java.util.Map;
import org.convcl.ConvSpec;
import org.convcl.Shape;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** One JSON form of a layer: what a result line writes reads back, and a suite's short forms read the same. */
class LayerJsonTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @Test
    void writtenLayersReadBackAndShortFormsMeanTheSame() throws Exception {
        ConvSpec spec = ConvSpec.builder(6, 4, 3, 2).stride(2, 1).padding(1, 0, 2, 1).dilation(1, 2).groups(2).build();
        Shape input = new Shape(3, 6, 11, 9);
        Map<String, Object> record = new LinkedHashMap<>();
        LayerJson.write(record, spec, input);
        assertEquals(LayerJson.FIELDS, record.keySet().stream().toList());
        JsonNode written = JSON.valueToTree(record);
        assertEquals(spec, LayerJson.readSpec(written));
        assertEquals(input, LayerJson.readInput(written, spec, 1));

        JsonNode shortForm = JSON.readTree("{\"cin\":6,\"h\":11,\"w\":9,\"cout\":4,\"kh\":3,\"kw\":2,\"stride\":[2,1],"
                + "\"pad\":[1,0,2,1],\"dil\":[1,2],\"groups\":2}");
        assertEquals(spec, LayerJson.readSpec(shortForm));
        assertEquals(input, LayerJson.readInput(shortForm, spec, 3), "no n: the batch it is read with");
        JsonNode defaults = JSON.readTree("{\"cin\":6,\"h\":11,\"w\":9,\"cout\":4,\"kh\":3,\"kw\":3,\"pad\":1}");
        assertEquals(ConvSpec.full(6, 4, 3).padding(1).build(), LayerJson.readSpec(defaults));
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "{\"cin\":6,\"h\":8,\"w\":8,\"cout\":4,\"kh\":3,\"kw\":3,\"stride\":2,\"stride_h\":2,\"stride_w\":2}|give 'stride' or stride_h, stride_w, not both",
        "{\"cin\":6,\"h\":8,\"w\":8,\"cout\":4,\"kh\":3,\"kw\":3,\"pad_t\":1}|missing field 'pad_l'",
        "{\"cin\":6,\"h\":8,\"w\":8,\"cout\":4,\"kh\":3,\"kw\":3,\"dil\":[1]}|field 'dil' must be an integer or an array of 2 integers, got [1]",
        "{\"cin\":6.5,\"h\":8,\"w\":8,\"cout\":4,\"kh\":3,\"kw\":3}|field 'cin' must be an integer, got 6.5",
        "{\"cin\":6,\"h\":8,\"w\":8,\"cout\":4,\"kh\":3,\"kw\":3,\"groups\":4}|groups=4 does not divide inChannels=6",
    })
    void badLayersNameTheFieldAndValue(String json, String expected) throws Exception {
        JsonNode o = JSON.readTree(json);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> LayerJson.readSpec(o));
        assertTrue(e.getMessage().contains(expected), e.getMessage());
    }

    @Test
    void aBatchOrSizeThatDoesNotFitIsNamed() throws Exception {
        JsonNode o = JSON.readTree("{\"n\":0,\"cin\":6,\"h\":2,\"w\":8,\"cout\":4,\"kh\":3,\"kw\":3}");
        ConvSpec spec = LayerJson.readSpec(o);
        assertEquals("field 'n' must be positive, got 0",
                assertThrows(IllegalArgumentException.class, () -> LayerJson.readInput(o, spec, 1)).getMessage());
        JsonNode small = JSON.readTree("{\"cin\":6,\"h\":2,\"w\":8,\"cout\":4,\"kh\":3,\"kw\":3}");
        assertTrue(assertThrows(IllegalArgumentException.class, () -> LayerJson.readInput(small, spec, 1)).getMessage()
                .contains("kernel height 3"));
    }
}
