package org.convcl.plan;

import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * Tuned tile and work-group parameters: immutable data keyed by (device key, algorithm, shape class key).
 * The {@link Planner} looks a layer up here; a miss keeps the defaults. Every entry's parameters are
 * validated against what its kernel accepts ({@link Tunables#validate}) when the entry is made.
 *
 * <p>Tables are combined with {@link #overriddenBy}: the OpenCL backend takes the shipped table and lets the
 * user's tuning file override it entry by entry.
 */
public final class TuningTable {
    private static final Comparator<Key> KEY_ORDER = Comparator.comparing(Key::deviceKey)
            .thenComparingInt(k -> TunedKernel.order(k.algorithm())).thenComparing(Key::shapeClass);

    /** The table without entries: every plan uses the defaults. */
    public static final TuningTable EMPTY = new TuningTable(new TreeMap<>(KEY_ORDER));

    private final SortedMap<Key, Entry> entries;

    /**
     * What an entry is for.
     *
     * @param deviceKey  {@link DeviceFacts#deviceKey()} of the device it was measured on, or a device-class key
     *                   ({@link #vendorKey}, {@link #typeKey}) for every device of that class
     * @param algorithm  the kernel, forward ({@link Algorithm}) or backward ({@link BackwardAlgorithm})
     * @param shapeClass the {@link ShapeClass#key()} of the layers it serves
     */
    public record Key(String deviceKey, TunedKernel algorithm, String shapeClass) {
        public Key {
            if (deviceKey == null || deviceKey.isBlank()) throw new IllegalArgumentException("tuning entry device must not be blank, got '" + deviceKey + "'");
            if (algorithm == null) throw new IllegalArgumentException("tuning entry algorithm must not be null");
            if (!ShapeClass.tunable(algorithm)) throw new IllegalArgumentException("tuning entry algorithm " + algorithm + " is not tunable");
            if (shapeClass == null || shapeClass.isBlank()) throw new IllegalArgumentException("tuning entry class must not be blank, got '" + shapeClass + "'");
        }
    }

    /**
     * One tuned parameter set.
     *
     * @param key    device, algorithm and shape class
     * @param params the kernel's parameters, all of them ({@link Tunables#names})
     * @param note   free text for people (what was measured, when); may be empty
     */
    public record Entry(Key key, SortedMap<String, Integer> params, String note) {
        public Entry {
            if (key == null) throw new IllegalArgumentException("tuning entry key must not be null");
            Tunables.validate(key.algorithm(), params);
            params = Collections.unmodifiableSortedMap(new TreeMap<>(params));
            note = note == null ? "" : note;
        }

        /** An entry for (device, algorithm, shape class). */
        public Entry(String deviceKey, ShapeClass shapeClass, Map<String, Integer> params, String note) {
            this(new Key(deviceKey, shapeClass.algorithm(), shapeClass.key()), new TreeMap<>(params), note);
        }
    }

    private TuningTable(SortedMap<Key, Entry> entries) {
        this.entries = Collections.unmodifiableSortedMap(entries);
    }

    /** A table of {@code entries}; two entries with the same key are an error naming the key. */
    public static TuningTable of(Collection<Entry> entries) {
        SortedMap<Key, Entry> map = new TreeMap<>(KEY_ORDER);
        for (Entry e : entries) {
            if (e == null) throw new IllegalArgumentException("tuning entries must not be null");
            if (map.put(e.key(), e) != null) throw new IllegalArgumentException("duplicate tuning entry for " + e.key());
        }
        return new TuningTable(map);
    }

    /** Prefix of a device-class key that holds for every device of one vendor and type: {@link #vendorKey}. */
    public static final String VENDOR_PREFIX = "vendor:";
    /** Prefix of a device-class key that holds for every device of one type: {@link #typeKey}. */
    public static final String TYPE_PREFIX = "type:";

    /**
     * The device-class key of every device of {@code vendor} and {@code type}, e.g. {@code vendor:NVIDIA Corporation GPU}:
     * what a tuning file writes in an entry's {@code device} field to serve them all.
     */
    public static String vendorKey(String vendor, String type) {
        return VENDOR_PREFIX + vendor.strip() + " " + type.strip().toUpperCase(Locale.ROOT);
    }

    /** The device-class key of every device of {@code type}, e.g. {@code type:GPU}. */
    public static String typeKey(String type) {
        return TYPE_PREFIX + type.strip().toUpperCase(Locale.ROOT);
    }

    /**
     * The keys a lookup for {@code device} tries, in order: its own ({@link DeviceFacts#deviceKey()}), its vendor and
     * type ({@link #vendorKey}, left out when the vendor is unknown), its type ({@link #typeKey}).
     */
    public static List<String> lookupKeys(DeviceFacts device) {
        List<String> keys = new ArrayList<>();
        keys.add(device.deviceKey());
        if (!device.vendor().equals(DeviceFacts.UNKNOWN_VENDOR)) keys.add(vendorKey(device.vendor(), device.type()));
        keys.add(typeKey(device.type()));
        return List.copyOf(keys);
    }

    /**
     * The entry serving a layer of {@code shapeClass} on {@code device}: the first of {@link #lookupKeys} that has one
     * (the exact device, then its vendor and type, then its type); empty when none has. The entry's
     * {@link Key#deviceKey()} says which key served.
     */
    public Optional<Entry> lookup(DeviceFacts device, ShapeClass shapeClass) {
        for (String key : lookupKeys(device)) {
            Optional<Entry> hit = lookup(key, shapeClass);
            if (hit.isPresent()) return hit;
        }
        return Optional.empty();
    }

    /** Whether {@code key} is a device-class key ({@link #vendorKey}, {@link #typeKey}) rather than one device's. */
    public static boolean isClassKey(String key) {
        return key.startsWith(VENDOR_PREFIX) || key.startsWith(TYPE_PREFIX);
    }

    /** The entry for a layer of {@code shapeClass} under exactly the key {@code deviceKey}, if any. */
    public Optional<Entry> lookup(String deviceKey, ShapeClass shapeClass) {
        return Optional.ofNullable(entries.get(new Key(deviceKey, shapeClass.algorithm(), shapeClass.key())));
    }

    /** This table with {@code other}'s entries added, replacing entries of the same key. */
    public TuningTable overriddenBy(TuningTable other) {
        SortedMap<Key, Entry> map = new TreeMap<>(KEY_ORDER);
        map.putAll(entries);
        map.putAll(other.entries);
        return new TuningTable(map);
    }

    /** This table with {@code entry} added (replacing the entry of the same key). */
    public TuningTable with(Entry entry) {
        return overriddenBy(of(List.of(entry)));
    }

    /** This table without the entry for {@code key} (the same table when there is none). */
    public TuningTable without(Key key) {
        if (!entries.containsKey(key)) return this;
        SortedMap<Key, Entry> map = new TreeMap<>(KEY_ORDER);
        map.putAll(entries);
        map.remove(key);
        return new TuningTable(map);
    }

    /**
     * Only the entries a device of key {@code deviceKey} may use: its own and every device-class entry
     * ({@link #isClassKey}; {@link #lookup(DeviceFacts, ShapeClass)} picks those of its vendor and type).
     */
    public TuningTable forDevice(String deviceKey) {
        SortedMap<Key, Entry> map = new TreeMap<>(KEY_ORDER);
        entries.forEach((k, e) -> { if (k.deviceKey().equals(deviceKey) || isClassKey(k.deviceKey())) map.put(k, e); });
        return new TuningTable(map);
    }

    /** Every entry, sorted by device, algorithm and shape class. */
    public List<Entry> entries() { return List.copyOf(new ArrayList<>(entries.values())); }

    public int size() { return entries.size(); }

    public boolean isEmpty() { return entries.isEmpty(); }

    @Override
    public boolean equals(Object o) {
        return o instanceof TuningTable t && entries.equals(t.entries);
    }

    @Override
    public int hashCode() { return entries.hashCode(); }

    @Override
    public String toString() { return "TuningTable[" + entries.size() + " entries]"; }
}
