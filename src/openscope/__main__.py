from openscope.cli import main

main()
