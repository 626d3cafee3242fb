from leadflow.cli import main

main(prog_name="leadflow")
