/*
 * portal.lijsten._snel: the reader's inner loops, in C.
 *
 * Pure Python reads and checks a 50,000-row list at about 10 µs a row; most of that is making
 * and hashing a million fresh strings. These functions make fewer objects, shared where equal,
 * and scan bytes before any Python object exists. Each has a plain definition in reader.py (the csv module, zip, a
 * regular expression) that it must equal; tests/test_snelle_paden.py holds them equal on generated input,
 * and the reader falls back to the plain definition whenever this one declines (returns None).
 *
 * csv_kolommen(data, sep, max_cols, max_rows) -> list[list[str]] | None
 *     UTF-8 text without quotes, every row the same width: the columns (title row included),
 *     as the csv module would give them transposed. Equal values in a column are one string
 *     object (a small table per column, up to TABLE_MAX distinct values): code, name and date
 *     columns repeat a lot, and the validator's sets and dicts over them then compare by
 *     identity with a cached hash. None for anything else: a quote, an empty line, rows of
 *     different widths, more than max_cols columns or max_rows + 1 rows, invalid UTF-8.
 *
 * transponeer(rows) -> list[list] | None
 *     Rows of one width (calamine's grid, the csv module's rows) as columns, like list(zip(*rows))
 *     but lists, and with equal values in a column made one object (texts, numbers and dates of
 *     exact types; numbers bit for bit), for the same reason as above. None when the widths differ.
 *
 * celrefs_gewoon(xml, prefix, digits) -> bool
 *     True when every <c and <row tag of the sheet starts with r="…" of at most one column letter
 *     and 1..digits digits: the same as
 *         not re.search(rb'<' + prefix + rb'(?:c|row)(?! r="[A-Z]?[0-9]{1,%d}")[\s>/]' % digits, xml)
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>
#include <string.h>

#define TABLE_MAX 4096          /* distinct values shared per column; later ones are made anew */
#define TABLE_SIZE 8192         /* open addressing, load factor <= 1/2 */
#define TABLE_COLS 64           /* columns that get a table (256 KB each); a real list has ~20 */

typedef struct {
    uint64_t hash;
    const char *ptr;
    Py_ssize_t len;
    PyObject *str;              /* a reference owned by the table; NULL = empty slot */
} Slot;

typedef struct {
    Slot *slots;
    int used;
    int looked_up;              /* lookups since the table filled up, and how many found a value */
    int found;
} Table;

static void
free_table(Table *t)
{
    if (t->slots == NULL)
        return;
    for (size_t i = 0; i < TABLE_SIZE; i++)
        Py_XDECREF(t->slots[i].str);
    PyMem_Free(t->slots);
    t->slots = NULL;
}

/* A string of p[0:n]: ASCII copied straight in, anything else through the UTF-8 decoder. */
static inline PyObject *
new_str(const char *p, Py_ssize_t n, int ascii)
{
    if (!ascii)
        return PyUnicode_DecodeUTF8(p, n, "strict");
    PyObject *s = PyUnicode_New(n, 127);
    if (s != NULL)
        memcpy(PyUnicode_1BYTE_DATA(s), p, (size_t)n);
    return s;
}

/* A new reference to the string of p[0:n], shared with equal earlier cells of the column. */
static PyObject *
cell(Table *t, const char *p, Py_ssize_t n)
{
    /* FNV-1a, 64 bit (the values are short), and whether the cell is ASCII, in one pass. */
    uint64_t h = 1469598103934665603ULL;
    unsigned char any = 0;
    for (Py_ssize_t k = 0; k < n; k++) {
        unsigned char b = (unsigned char)p[k];
        any |= b;
        h ^= b;
        h *= 1099511628211ULL;
    }
    int ascii = any < 0x80;
    if (t->slots == NULL)
        return new_str(p, n, ascii);
    size_t i = (size_t)h & (TABLE_SIZE - 1);
    for (;;) {
        Slot *s = &t->slots[i];
        if (s->str == NULL)
            break;
        if (s->hash == h && s->len == n && memcmp(s->ptr, p, (size_t)n) == 0) {
            if (t->used == TABLE_MAX)
                t->found++;
            Py_INCREF(s->str);
            return s->str;
        }
        i = (i + 1) & (TABLE_SIZE - 1);
    }
    PyObject *str = new_str(p, n, ascii);
    if (str == NULL)
        return NULL;
    if (t->used < TABLE_MAX) {
        Slot *s = &t->slots[i];
        s->hash = h;
        s->ptr = p;
        s->len = n;
        s->str = str;
        Py_INCREF(str);
        t->used++;
    } else if (++t->looked_up == 1024 && t->found < 512) {
        /* A full table that rarely helps (a column of distinct values: numbers, e-mail
         * addresses): the rest of the column is made without looking. */
        free_table(t);
    }
    return str;
}

static void
free_tables(Table *tables, Py_ssize_t width)
{
    if (tables == NULL)
        return;
    for (Py_ssize_t j = 0; j < width; j++)
        free_table(&tables[j]);
    PyMem_Free(tables);
}

static PyObject *
csv_kolommen(PyObject *self, PyObject *args)
{
    Py_buffer buf;
    int sep;
    Py_ssize_t max_cols, max_rows;
    if (!PyArg_ParseTuple(args, "y*Cnn", &buf, &sep, &max_cols, &max_rows))
        return NULL;
    const char *data = buf.buf;
    const char *end = data + buf.len;
    PyObject *result = NULL;
    Table *tables = NULL;
    Py_ssize_t width = 0, rows = 0;

    if (sep > 127 || sep == '"' || sep == '\r' || sep == '\n' || buf.len == 0
            || memchr(data, '"', (size_t)buf.len) != NULL)
        goto decline;

    /* Pass 1: the width (from the first line) and the number of lines; every line must have
     * that width and no line may be empty. */
    {
        Py_ssize_t seps = 0;
        const char *p = data;
        while (p < end) {
            char c = *p;
            if (c == '\r' || c == '\n') {
                if (rows == 0)
                    width = seps + 1;
                else if (seps + 1 != width)
                    goto decline;
                if (p == data || p[-1] == '\n' || (p[-1] == '\r' && c == '\r'))
                    goto decline;           /* an empty line: the csv module gives [] for it */
                rows++;
                seps = 0;
                if (c == '\r' && p + 1 < end && p[1] == '\n')
                    p++;
            } else if (c == sep) {
                seps++;
            }
            p++;
        }
        if (end[-1] != '\n' && end[-1] != '\r') {      /* a last line without a line end */
            if (rows == 0)
                width = seps + 1;
            else if (seps + 1 != width)
                goto decline;
            rows++;
        }
    }
    if (width > max_cols || rows > max_rows + 1)
        goto decline;

    result = PyList_New(width);
    if (result == NULL)
        goto fail;
    for (Py_ssize_t j = 0; j < width; j++) {
        PyObject *kolom = PyList_New(rows);
        if (kolom == NULL)
            goto fail;
        PyList_SET_ITEM(result, j, kolom);
    }
    tables = PyMem_Calloc((size_t)width, sizeof(Table));
    if (tables == NULL) {
        PyErr_NoMemory();
        goto fail;
    }
    for (Py_ssize_t j = 0; j < width && j < TABLE_COLS; j++) {
        tables[j].slots = PyMem_Calloc(TABLE_SIZE, sizeof(Slot));
        if (tables[j].slots == NULL) {
            PyErr_NoMemory();
            goto fail;
        }
    }

    /* Pass 2: the cells. */
    {
        const char *p = data, *begin = data;
        Py_ssize_t i = 0, j = 0;
        while (i < rows) {
            char c = p < end ? *p : '\n';
            if (c == sep || c == '\r' || c == '\n') {
                PyObject *s = cell(&tables[j], begin, p - begin);
                if (s == NULL)
                    goto fail;
                PyList_SET_ITEM(PyList_GET_ITEM(result, j), i, s);
                if (c == sep) {
                    j++;
                } else {
                    j = 0;
                    i++;
                    if (c == '\r' && p + 1 < end && p[1] == '\n')
                        p++;
                }
                begin = p + 1;
            }
            p++;
        }
    }
    free_tables(tables, width);
    PyBuffer_Release(&buf);
    return result;

fail:
    free_tables(tables, width);
    Py_XDECREF(result);
    PyBuffer_Release(&buf);
    if (PyErr_ExceptionMatches(PyExc_UnicodeDecodeError)) {
        PyErr_Clear();
        Py_RETURN_NONE;
    }
    return NULL;

decline:
    PyBuffer_Release(&buf);
    Py_RETURN_NONE;
}

static inline int
is_space(char c)
{
    /* \s of a bytes regular expression */
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

static PyObject *
celrefs_gewoon(PyObject *self, PyObject *args)
{
    Py_buffer xml, prefix;
    int digits;
    if (!PyArg_ParseTuple(args, "y*y*i", &xml, &prefix, &digits))
        return NULL;
    const char *p = xml.buf, *end = p + xml.len;
    const char *pre = prefix.buf;
    Py_ssize_t npre = prefix.len;
    int gewoon = 1;

    while ((p = memchr(p, '<', (size_t)(end - p))) != NULL) {
        const char *q = p + 1;
        p = q;
        if (end - q < npre || memcmp(q, pre, (size_t)npre) != 0)
            continue;
        q += npre;
        if (q < end && *q == 'c')
            q += 1;
        else if (end - q >= 3 && q[0] == 'r' && q[1] == 'o' && q[2] == 'w')
            q += 3;
        else
            continue;
        if (q >= end || !(is_space(*q) || *q == '>' || *q == '/'))
            continue;                        /* <cols, <rowBreaks, …: not a cell or row */
        /* The usual start: ' r="' [A-Z]? [0-9]{1,digits} '"' */
        if (end - q >= 4 && memcmp(q, " r=\"", 4) == 0) {
            const char *r = q + 4;
            if (r < end && *r >= 'A' && *r <= 'Z')
                r++;
            int n = 0;
            while (r < end && *r >= '0' && *r <= '9' && n <= digits) {
                r++;
                n++;
            }
            if (n >= 1 && n <= digits && r < end && *r == '"')
                continue;
        }
        gewoon = 0;
        break;
    }
    PyBuffer_Release(&xml);
    PyBuffer_Release(&prefix);
    return PyBool_FromLong(gewoon);
}

/* transponeer: rows -> columns, equal values in a column made one object. */
typedef struct {
    Py_hash_t hash;
    PyObject *str;              /* the shared value; borrowed: the rows keep it alive */
} StrSlot;

static PyTypeObject *date_type, *datetime_type;     /* datetime.date, datetime.datetime */

/* Cell values that are shared: texts, numbers and dates (what calamine gives), of exact types. */
static inline int
deelbaar(PyObject *v)
{
    PyTypeObject *t = Py_TYPE(v);
    return t == &PyUnicode_Type || t == &PyFloat_Type || t == datetime_type || t == date_type;
}

/* Equal and of one type; numbers bit for bit (0.0 and -0.0 stay apart, as they print apart). */
static inline int
gelijk(PyObject *a, PyObject *b)
{
    if (a == b)
        return 1;
    if (Py_TYPE(a) != Py_TYPE(b))
        return 0;
    if (Py_TYPE(a) == &PyUnicode_Type)
        return PyUnicode_Compare(a, b) == 0;
    if (Py_TYPE(a) == &PyFloat_Type) {
        double x = PyFloat_AS_DOUBLE(a), y = PyFloat_AS_DOUBLE(b);
        return memcmp(&x, &y, sizeof(double)) == 0;
    }
    return PyObject_RichCompareBool(a, b, Py_EQ) == 1;
}

static PyObject *
transponeer(PyObject *self, PyObject *arg)
{
    if (!PyList_Check(arg)) {
        PyErr_SetString(PyExc_TypeError, "transponeer: a list of rows");
        return NULL;
    }
    Py_ssize_t rows = PyList_GET_SIZE(arg), width = 0;
    for (Py_ssize_t i = 0; i < rows; i++) {
        PyObject *rij = PyList_GET_ITEM(arg, i);
        if (!PyList_Check(rij) && !PyTuple_Check(rij))
            Py_RETURN_NONE;
        Py_ssize_t n = PySequence_Fast_GET_SIZE(rij);
        if (i == 0)
            width = n;
        else if (n != width)
            Py_RETURN_NONE;                     /* rows of other widths: not ours to pad */
    }
    PyObject *result = PyList_New(width);
    if (result == NULL)
        return NULL;
    StrSlot *slots = NULL;
    int *used = NULL;
    for (Py_ssize_t j = 0; j < width; j++) {
        PyObject *kolom = PyList_New(rows);
        if (kolom == NULL)
            goto fail;
        PyList_SET_ITEM(result, j, kolom);
    }
    Py_ssize_t tabellen = width < TABLE_COLS ? width : TABLE_COLS;
    slots = PyMem_Calloc((size_t)(tabellen ? tabellen : 1) * TABLE_SIZE, sizeof(StrSlot));
    used = PyMem_Calloc((size_t)(tabellen ? tabellen : 1), sizeof(int));
    if (slots == NULL || used == NULL) {
        PyErr_NoMemory();
        goto fail;
    }
    for (Py_ssize_t i = 0; i < rows; i++) {
        PyObject **cellen = PySequence_Fast_ITEMS(PyList_GET_ITEM(arg, i));
        for (Py_ssize_t j = 0; j < width; j++) {
            PyObject *v = cellen[j];
            if (j < tabellen && deelbaar(v)) {
                Py_hash_t h = PyObject_Hash(v);     /* cached in v: later sets reuse it */
                if (h == -1)
                    goto fail;
                StrSlot *tabel = slots + (size_t)j * TABLE_SIZE;
                size_t k = (size_t)h & (TABLE_SIZE - 1);
                for (;;) {
                    StrSlot *s = &tabel[k];
                    if (s->str == NULL) {
                        if (used[j] < TABLE_MAX) {
                            s->hash = h;
                            s->str = v;
                            used[j]++;
                        }
                        break;
                    }
                    if (s->hash == h && gelijk(s->str, v)) {
                        v = s->str;
                        break;
                    }
                    k = (k + 1) & (TABLE_SIZE - 1);
                }
            }
            Py_INCREF(v);
            PyList_SET_ITEM(PyList_GET_ITEM(result, j), i, v);
        }
    }
    PyMem_Free(slots);
    PyMem_Free(used);
    return result;

fail:
    PyMem_Free(slots);
    PyMem_Free(used);
    Py_DECREF(result);
    return NULL;
}

static PyMethodDef methods[] = {
    {"transponeer", transponeer, METH_O,
     "transponeer(rows) -> the columns (lists), equal values in a column one object; None if the rows differ in width."},
    {"csv_kolommen", csv_kolommen, METH_VARARGS,
     "csv_kolommen(data, sep, max_cols, max_rows) -> the columns of a plain CSV text, or None."},
    {"celrefs_gewoon", celrefs_gewoon, METH_VARARGS,
     "celrefs_gewoon(xml, prefix, digits) -> True when every cell and row tag starts with a short r=\"…\"."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT, "_snel", "The leerlinglijst reader's inner loops, in C.", -1, methods,
};

PyMODINIT_FUNC
PyInit__snel(void)
{
    PyObject *datetime = PyImport_ImportModule("datetime");
    if (datetime == NULL)
        return NULL;
    date_type = (PyTypeObject *)PyObject_GetAttrString(datetime, "date");           /* kept */
    datetime_type = (PyTypeObject *)PyObject_GetAttrString(datetime, "datetime");   /* kept */
    Py_DECREF(datetime);
    if (date_type == NULL || datetime_type == NULL)
        return NULL;
    return PyModule_Create(&module);
}
