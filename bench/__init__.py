"""The national-scale benchmark of NTM Dossiers (not a package of the product; run `bash bench/run.sh`)."""
