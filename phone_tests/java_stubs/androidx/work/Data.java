package androidx.work;

import java.util.HashMap;
import java.util.Map;

/** androidx.work.Data: a worker's input, built with Data.Builder. */
public final class Data {
    private final Map<String, Object> values;

    private Data(Map<String, Object> values) {
        this.values = values;
    }

    public String getString(String key) {
        Object v = values.get(key);
        return v instanceof String ? (String) v : null;
    }

    public int getInt(String key, int defaultValue) {
        Object v = values.get(key);
        return v instanceof Integer ? (Integer) v : defaultValue;
    }

    public static final class Builder {
        private final Map<String, Object> values = new HashMap<>();

        public Builder putString(String key, String value) {
            values.put(key, value);
            return this;
        }

        public Builder putInt(String key, int value) {
            values.put(key, value);
            return this;
        }

        public Data build() {
            return new Data(new HashMap<>(values));
        }
    }
}
