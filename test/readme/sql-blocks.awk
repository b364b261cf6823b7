# Prints every block of README.md fenced exactly ```sql (indented or not), in
# order, each preceded by a psql \echo naming its line. Blocks fenced
# ```sql not-run, ```text and others are left out.
/^[ \t]*```sql[ \t]*$/ {
    inside = 1
    indent = match($0, /[^ \t]/) - 1
    printf "\\echo '-- README.md line %d'\n", NR
    next
}
inside && /^[ \t]*```[ \t]*$/ { inside = 0; print ""; next }
inside { print substr($0, indent + 1) }
